"""SPADE with panoptic-aware convolutions: SPADE's layer, parameters and values, except
where a window crosses into another segment."""

from __future__ import annotations

import torch

import ganforge


def test_same_parameters_as_spade_and_equal_away_from_boundaries(registry, data, scene):
    cond = scene(2, 32)
    torch.manual_seed(0)
    ours = ganforge.build("normalizer", {"type": "panoptic_spade", "nhidden": 8}, data, num_features=4)
    spade = ganforge.build("normalizer", {"type": "spade", "nhidden": 8}, data, num_features=4)
    spade.load_state_dict(ours.state_dict())  # same keys and shapes
    x = torch.randn(2, 4, 32, 32)
    gamma, beta = ours.modulation(x, cond)
    gamma_s, beta_s = spade.modulation(x, cond)
    # two 3x3 convs in sequence (shared, then gamma/beta): a pixel whose 5x5 neighbourhood is one
    # segment inside the image is computed exactly as SPADE computes it
    far = torch.ones(32, 32, dtype=torch.bool)
    ids = cond["panoptic"][0]
    for dy in range(-2, 3):
        for dx in range(-2, 3):
            shifted = torch.full_like(ids, -1)
            shifted[max(dy, 0):32 + min(dy, 0), max(dx, 0):32 + min(dx, 0)] = \
                ids[max(-dy, 0):32 + min(-dy, 0), max(-dx, 0):32 + min(-dx, 0)]
            far &= shifted == ids
    torch.testing.assert_close(gamma[..., far], gamma_s[..., far])
    torch.testing.assert_close(beta[..., far], beta_s[..., far])


def test_the_modulation_marks_the_boundary_between_two_instances_of_one_class(registry, data, scene):
    """Splitting one class-1 region into two instances changes gamma only along their
    common boundary (within the convs' 2-pixel reach), and there it does change: the
    modulation itself carries the instance boundary SPADE needs an edge map for."""
    cond = scene(1, 32)
    torch.manual_seed(0)
    ours = ganforge.build("normalizer", {"type": "panoptic_spade", "nhidden": 8}, data, num_features=4)
    x = torch.randn(1, 4, 32, 32)
    merged = cond.replace(panoptic=cond["label"] + 1)  # the two instances as one segment
    gamma, _ = ours.modulation(x, cond)
    gamma_merged, _ = ours.modulation(x, merged)
    diff = (gamma - gamma_merged).abs().amax(1)[0]
    # the instances meet between columns 15 and 16 in rows 8..23; only columns 14..17 change
    elsewhere = torch.cat([diff[:, :14], diff[:, 18:]], 1).max()  # rounding only (dense vs sparse path)
    assert diff[8:24, 14:18].amin() > 1e4 * elsewhere


def test_no_boundary_map_by_default(registry):
    data = ganforge.DataInfo(fields=frozenset({"label", "instance"}), resolution=(16, 16), label_nc=3)
    ours = ganforge.build("normalizer", "panoptic_spade", data, num_features=4)
    spade = ganforge.build("normalizer", "spade", data, num_features=4)
    assert ours.mlp_shared[0].in_channels == 3 and spade.mlp_shared[0].in_channels == 4
    assert type(ours).requirements(ours.params, data) == {"label", "instance"}

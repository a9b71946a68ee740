"""CG-Norm: SPADE's modulation through group convs, with the official per-dataset widths."""

import pytest
import torch

import ganforge
from ganforge import Condition, DataInfo
from ganforge_smis.norm import class_semantic_map


def build(spec, data, channels, groups=None):
    runtime = {} if groups is None else {"groups": groups}
    return ganforge.build("normalizer", {"type": "cg_norm", **spec}, data, num_features=channels, **runtime)


@pytest.mark.parametrize("variant, groups, hidden, shared_groups, out_groups", [
    ("deepfashion", 2, 16, 2, 2),    # nhidden, G, G
    ("cityscapes", 2, 8, 4, 4),      # K x G, K, K
    ("ade20k", 2, 8, 4, 2),          # 2K when G divides K, K, G
    ("ade20k", 8, 32, 4, 8),         # K x G otherwise
])
def test_variants_set_the_official_widths_and_groups(registry, data, variant, groups, hidden, shared_groups,
                                                     out_groups):
    norm = build({"variant": variant, "nhidden": 16}, data, 32, groups)
    shared = norm.mlp_shared[0]
    assert (shared.in_channels, shared.out_channels, shared.groups) == (4, hidden, shared_groups)
    assert (norm.mlp_gamma.in_channels, norm.mlp_gamma.groups) == (hidden, out_groups)
    assert (norm.mlp_beta.out_channels, norm.mlp_beta.groups) == (32, out_groups)


def test_built_alone_it_uses_one_group_per_class(registry, data):
    assert build({}, data, 8).groups == 4


def test_forward_is_normalised_input_times_one_plus_gamma_plus_beta(registry, data, make_condition):
    norm = build({"param_free_norm": "instance", "nhidden": 8}, data, 8).eval()
    cond = make_condition(data)
    x = torch.randn(2, 8, 16, 16)
    gamma, beta = norm.modulation(x, cond)
    expected = torch.nn.functional.instance_norm(x) * (1 + gamma) + beta
    torch.testing.assert_close(norm(x, cond), expected)


def test_each_group_is_modulated_by_its_own_classes_only(registry, data, make_condition):
    """With G = K, output channel group k reads only class k's mask: moving pixels between
    two other classes leaves it exactly unchanged, and moving pixels into class k changes it."""
    norm = build({"nhidden": 8}, data, 8).eval()
    cond = make_condition(data, batch=1)
    label = cond["label"].clone()
    x = torch.randn(1, 8, 32, 32)
    gamma, _ = norm.modulation(x, cond)
    a, b = int(label.flatten()[0]), (int(label.flatten()[0]) + 1) % 4
    keep = [k for k in range(4) if k not in (a, b)][0]
    moved = label.clone()
    moved[label == a] = b  # class a becomes class b: classes other than a, b are untouched
    gamma_moved, _ = norm.modulation(x, Condition(label=moved))
    per_class = lambda g, k: g[:, 2 * k: 2 * k + 2]
    torch.testing.assert_close(per_class(gamma_moved, keep), per_class(gamma, keep), rtol=0, atol=0)
    assert not torch.allclose(per_class(gamma_moved, a), per_class(gamma, a))


def test_instance_edges_follow_every_class_mask(registry, make_condition):
    data = DataInfo(fields=frozenset({"label", "instance"}), resolution=(16, 16), label_nc=3)
    cond = make_condition(data)
    m = class_semantic_map(cond, data, None, (16, 16))
    edges = ganforge.instance_edges(cond["instance"])[:, 0]
    assert m.shape == (2, 6, 16, 16)
    for k in range(3):
        torch.testing.assert_close(m[:, 2 * k], (cond["label"] == k).float())
        torch.testing.assert_close(m[:, 2 * k + 1], edges)
    norm = build({"variant": "cityscapes"}, data, 6)
    assert norm.mlp_shared[0].in_channels == 6


def test_channels_that_do_not_split_into_groups_are_a_config_error(registry, data):
    with pytest.raises(ganforge.ConfigError, match="normalizer 'cg_norm'.*cannot have 4 groups"):
        build({}, data, 6, 4)
    with pytest.raises(ganforge.ConfigError, match="kernel_size must be odd"):
        build({"kernel_size": 2}, data, 8)

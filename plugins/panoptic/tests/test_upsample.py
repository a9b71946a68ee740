"""Panoptic-aware upsampling (Sec. 3.2): alignment within segments, holes encoded from the
semantic map, nearest neighbour where the map allows it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import ganforge
from ganforge import Condition, DataInfo
from ganforge_panoptic.upsample import align

DATA = DataInfo(fields=frozenset({"label", "panoptic"}), resolution=(4, 4), label_nc=3)


def test_segments_aligned_with_the_blocks_give_nearest_neighbour():
    x = torch.randn(2, 3, 4, 4)
    coarse = torch.randint(0, 3, (2, 4, 4))
    out, found = align(x, coarse, coarse.repeat_interleave(2, 1).repeat_interleave(2, 2))
    assert found.all()
    assert torch.equal(out, F.interpolate(x, scale_factor=2, mode="nearest"))


def test_a_pixel_takes_the_feature_of_its_own_segment_beside_below_or_diagonal():
    """One 2x2 coarse map (features 0, 1, 2, 3 at (0,0), (0,1), (1,0), (1,1), segments
    a, b, c, d); in the fine map the first block's other pixels belong to b, c and d."""
    x = torch.arange(4.0).view(1, 1, 2, 2)
    coarse = torch.tensor([[[10, 11], [12, 13]]])
    fine = coarse.repeat_interleave(2, 1).repeat_interleave(2, 2).clone()
    fine[0, 0, 1], fine[0, 1, 0], fine[0, 1, 1] = 11, 12, 13
    out, found = align(x, coarse, fine)
    assert found.all()
    assert out[0, 0, :2, :2].tolist() == [[0.0, 1.0], [2.0, 3.0]]
    nearest = F.interpolate(x, scale_factor=2, mode="nearest")
    assert torch.equal(out[..., 2:, :], nearest[..., 2:, :]) and torch.equal(out[..., :, 2:], nearest[..., :, 2:])


def test_neighbours_lie_towards_the_pixel_only():
    """The top-left pixel of a block has no neighbour to try: if its segment is not its
    block's, it is a hole, even when the block to its left holds that segment."""
    x = torch.arange(4.0).view(1, 1, 2, 2)
    coarse = torch.tensor([[[10, 11], [12, 13]]])
    fine = coarse.repeat_interleave(2, 1).repeat_interleave(2, 2).clone()
    fine[0, 0, 2] = 10  # top-left pixel of block (0, 1), segment of block (0, 0)
    fine[0, 2, 3] = 99  # a segment no coarse pixel has
    _, found = align(x, coarse, fine)
    assert not found[0, 0, 0, 2] and not found[0, 0, 2, 3]
    assert found.sum() == 14


@pytest.fixture
def upsampler(registry):
    torch.manual_seed(0)
    return ganforge.build("upsampler", {"type": "panoptic_upsample"}, DATA, num_features=5)


def _new_segment_condition() -> Condition:
    """8x8 label/panoptic maps: class 0 everywhere, and a 1-pixel instance of class 2 at
    (3, 3), an odd position that the 4x4 map (top-left of each block) never sees."""
    label = torch.zeros(1, 8, 8, dtype=torch.long)
    label[0, 3, 3] = 2
    panoptic = (label + 1) + 256 * (label == 2).long()
    return Condition(label=label, panoptic=panoptic)


def test_a_segment_appearing_at_the_new_resolution_is_encoded_from_the_semantic_map(upsampler):
    cond = _new_segment_condition()
    x = torch.randn(1, 5, 4, 4, requires_grad=True)
    out = upsampler(x, cond)
    assert out.shape == (1, 5, 8, 8)
    hole = torch.zeros(1, 1, 8, 8, dtype=torch.bool)
    hole[0, 0, 3, 3] = True
    # everywhere else: the nearest feature (one segment of class 0 around the hole)
    nearest = F.interpolate(x, scale_factor=2, mode="nearest")
    assert torch.equal(out.masked_select(~hole), nearest.masked_select(~hole))
    # the hole: the panoptic-aware conv of the one-hot map; alone in its segment, it sees only itself
    w, b = upsampler.encode.weight, upsampler.encode.bias
    expected = 9 * w[:, 2, 1, 1] + b
    torch.testing.assert_close(out[0, :, 3, 3], expected)
    out.sum().backward()
    assert x.grad[0, :, 1, 1].abs().sum() > 0 and upsampler.encode.weight.grad is not None


def test_label_and_instance_maps_serve_as_the_panoptic_map(registry):
    """Cityscapes and COCO-Stuff ship label + instance maps: the same segments, the same output."""
    cond = _new_segment_condition()
    both = DataInfo(fields=frozenset({"label", "instance"}), resolution=(4, 4), label_nc=3)
    torch.manual_seed(0)
    from_panoptic = ganforge.build("upsampler", {"type": "panoptic_upsample"}, DATA, num_features=5)
    torch.manual_seed(0)
    from_instances = ganforge.build("upsampler", {"type": "panoptic_upsample"}, both, num_features=5)
    x = torch.randn(1, 5, 4, 4)
    instance = (cond["label"] == 2).long()
    a = from_panoptic(x, cond)
    b = from_instances(x, Condition(label=cond["label"], instance=instance))
    assert torch.equal(a, b)


def test_requirements_follow_the_data(registry):
    from ganforge_panoptic.upsample import PanopticUpsample, PanopticUpsampleParams

    p = PanopticUpsampleParams()
    assert PanopticUpsample.requirements(p, DATA) == {"label", "panoptic"}
    assert PanopticUpsample.requirements(p, DATA.model_copy(update={"fields": frozenset({"label", "instance"})})) \
        == {"label", "instance"}
    assert PanopticUpsample.requirements(p, DATA.model_copy(update={"fields": frozenset({"label"})})) \
        == {"label", "panoptic"}
    with pytest.raises(ganforge.ConfigError, match="kernel_size must be odd"):
        ganforge.build("upsampler", {"type": "panoptic_upsample", "kernel_size": 2}, DATA, num_features=4)

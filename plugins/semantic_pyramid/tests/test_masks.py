"""Training masks: exactly one whole level, crops only on shallower conv levels; each
level reads its mask at its own resolution (fc levels as a gate)."""

import pytest
import torch

from ganforge_semantic_pyramid.masks import level_index, level_masks, sample_training_masks, single_level


def test_training_masks_feed_one_whole_level_and_crops_below_it():
    g = torch.Generator().manual_seed(0)
    mask = sample_training_masks(400, (32, 32), crop_prob=0.5, generator=g)
    assert mask.shape == (400, 7, 32, 32) and set(mask.unique().tolist()) <= {0.0, 1.0}
    full = mask.flatten(2).min(2).values == 1  # planes that are on everywhere
    assert (full.sum(1) == 1).all()
    chosen = full.float().argmax(1)
    assert set(chosen.tolist()) == set(range(7))  # every level is drawn
    crops = 0
    for m, level in zip(mask, chosen.tolist()):
        assert m[level + 1:].sum() == 0  # nothing deeper than the chosen level
        below = m[:level]
        if below.sum() > 0:
            crops += 1
            assert 1 <= level <= 4  # crops only under a conv level
            assert all(torch.equal(p, below[0]) for p in below)  # one rectangle shared by the shallower levels
            assert 0 < below[0].mean() < 1
    assert 0.2 < crops / 400 < 0.45  # crop_prob 0.5 of the 4/7 draws that can crop


def test_level_masks_resize_conv_planes_and_gate_fc_levels():
    mask = single_level("conv3", 2, (32, 32))
    mask[:, 5, :16] = 1  # fc7 fed over half the image
    shapes = [torch.Size([2, 4, 16 >> i, 16 >> i]) for i in range(5)] + [torch.Size([2, 8]), torch.Size([2, 3])]
    out = level_masks(mask, shapes)
    assert [tuple(m.shape) for m in out] == [(2, 1, 16, 16), (2, 1, 8, 8), (2, 1, 4, 4), (2, 1, 2, 2),
                                             (2, 1, 1, 1), (2, 1), (2, 1)]
    assert out[2].eq(1).all() and out[1].eq(0).all() and torch.allclose(out[5], torch.full((2, 1), 0.5))
    with pytest.raises(ValueError, match=r"'pyramid_mask' must be \(B, 7, H, W\)"):
        level_masks(mask[:, :3], shapes)


def test_levels_by_name_or_index():
    assert level_index("fc8") == 6 and level_index(0) == 0
    with pytest.raises(ValueError, match="unknown semantic pyramid level 'pool5'.*conv1, conv2"):
        level_index("pool5")

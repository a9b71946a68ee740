"""Holes for inpainting and the spatially discounted in-hole L1 weights."""

from __future__ import annotations

import torch

from ganforge_attentive_norm.masks import MaskParams, discounted_weights, make_masks


def test_rect_holes_have_the_configured_size():
    masks = make_masks(MaskParams(hole=0.5, max_delta=0.0), 4, (32, 32), torch.Generator().manual_seed(0))
    assert masks.shape == (4, 1, 32, 32) and set(masks.unique().tolist()) == {0.0, 1.0}
    assert torch.all(masks.sum((1, 2, 3)) == 16 * 16)
    shrunk = make_masks(MaskParams(hole=0.5, max_delta=0.25), 16, (32, 32), torch.Generator().manual_seed(0))
    assert torch.all(shrunk.sum((1, 2, 3)) <= 256) and torch.all(shrunk.sum((1, 2, 3)) >= 8 * 8)  # up to 4 px off each side
    assert len(shrunk.sum((1, 2, 3)).unique()) > 1


def test_masks_are_seeded():
    a, b = (make_masks(MaskParams(type="free_form"), 2, (32, 32), torch.Generator().manual_seed(3)) for _ in range(2))
    assert torch.equal(a, b) and a.sum() > 0


def test_discounted_weights_trust_the_hole_border_more_than_its_centre():
    mask = torch.zeros(1, 1, 64, 64)
    mask[..., 16:48, 16:48] = 1
    w = discounted_weights(mask)
    assert torch.all(w[mask == 0] == 0) and torch.all(w[mask == 1] > 0) and w.max() <= 1 + 1e-6
    assert w[0, 0, 16, 32] > w[0, 0, 32, 32]  # border row vs centre

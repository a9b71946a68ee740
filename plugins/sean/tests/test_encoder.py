"""The style encoder: masked average pooling of its features over each semantic region."""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge import Condition, DataInfo
from ganforge_sean import regions


@pytest.fixture
def encoder(registry, data, tiny):
    torch.manual_seed(0)
    return ganforge.build("encoder", tiny["encoder"], data).eval()


def test_style_matrix_is_the_masked_average_of_the_features(encoder, data, make_condition):
    cond = make_condition(data, batch=2, seed=3)
    # class 3 absent from sample 1: its code must be exactly zero
    cond = cond.replace(label=torch.where(torch.arange(2)[:, None, None] == 1, cond["label"].clamp(max=2),
                                          cond["label"]))
    image = torch.rand(2, 3, 32, 32) * 2 - 1
    codes = encoder(image, cond)["region_style"]
    feats = encoder.features(image)  # (B, D, 16, 16): pooled at half resolution
    assert feats.shape == (2, 8, 16, 16) and codes.shape == (2, 4, 8)
    label = cond["label"][:, ::2, ::2]  # nearest to 16x16 on 8x8 blocks
    for b in range(2):
        for k in range(4):
            mask = label[b] == k
            expected = feats[b][:, mask].mean(1) if mask.any() else torch.zeros(8)
            torch.testing.assert_close(codes[b, k], expected, rtol=1e-5, atol=1e-6)
    assert not (label[1] == 3).any() and torch.equal(codes[1, 3], torch.zeros(8))


def test_pooling_never_mixes_regions(data, make_condition):
    """Shifting the features inside region k shifts code k by the same amount and leaves
    every other code bit-identical."""
    cond = make_condition(data, batch=1, seed=1)
    feats = torch.randn(1, 8, 16, 16)
    masks = regions.region_masks(cond, 4, (16, 16))
    codes = regions.masked_average(feats, masks)
    k = int(cond["label"][0, 0, 0])
    changed = feats.clone()
    changed[:, :, masks[0, k].bool()] += 5.0
    moved = regions.masked_average(changed, masks)
    assert torch.allclose(moved[0, k], codes[0, k] + 5.0)
    others = [j for j in range(4) if j != k]
    assert torch.equal(moved[0, others], codes[0, others])


def test_counts_one_code_per_class_including_dont_care(registry, tiny):
    data = DataInfo(fields=frozenset({"label"}), resolution=(32, 32), label_nc=5, contain_dontcare_label=True)
    enc = ganforge.build("encoder", tiny["encoder"], data)
    cond = Condition(label=torch.full((1, 32, 32), 5))
    assert enc(torch.zeros(1, 3, 32, 32), cond)["region_style"].shape == (1, 6, 8)


def test_needs_a_label_map(registry, tiny):
    with pytest.raises(ganforge.ConfigError, match="encoder 'sean_style'.*label_nc is 0"):
        ganforge.build("encoder", tiny["encoder"], DataInfo(fields=frozenset({"label"}), label_nc=0))
    with pytest.raises(ganforge.ConditionMismatch, match="encoder 'sean_style' needs condition field 'label'"):
        ganforge.build("encoder", tiny["encoder"], DataInfo(fields=frozenset({"edge"}), label_nc=3))

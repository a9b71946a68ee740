"""GroupDNet's encoder: class-wise crops through K-group convs, one Gaussian per class."""

import pytest
import torch
import torch.nn.functional as F

import ganforge
from ganforge import Condition, DataInfo
from ganforge_smis.encoder import class_crops


def reference_crops(image, label, k):
    """The official per-sample, per-class loop (models/smis_model.py trans_img), on the mask's box."""
    out = torch.zeros(image.shape[0], k, *image.shape[1:])
    for b in range(image.shape[0]):
        for c in range(k):
            mask = (label[b] == c).float()
            rows, cols = mask.any(1).nonzero().flatten(), mask.any(0).nonzero().flatten()
            if rows.numel() == 0:
                continue
            crop = (image[b] * mask)[:, rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]
            out[b, c] = F.interpolate(crop[None], size=image.shape[-2:], mode="nearest")[0]
    return out.flatten(1, 2)


def test_class_crops_equal_the_official_crop_and_resize():
    label = torch.zeros(2, 16, 16, dtype=torch.long)
    label[0, 2:7, 3:12] = 1   # 5 x 9 box
    label[0, 9:16, 0:4] = 2   # 7 x 4 box, class 3 absent from image 0
    label[1, 4:8, 4:8] = 3
    label[1, 0, 15] = 1       # a single pixel
    image = torch.rand(2, 3, 16, 16) * 2 - 1
    crops = class_crops(image, label, 4)
    torch.testing.assert_close(crops, reference_crops(image, label, 4), rtol=0, atol=0)
    assert crops[0, 9:12].abs().sum() == 0  # the absent class is all zeros
    single = image[1, :, 0, 15].view(3, 1, 1).expand(3, 16, 16)  # a one-pixel class fills its whole crop
    torch.testing.assert_close(crops[1, 3:6], single, rtol=0, atol=0)


def test_codes_of_a_class_see_only_that_class(registry, data, tiny, make_condition):
    """Changing the image outside class 0's region leaves class 0's posterior exactly unchanged."""
    enc = ganforge.build("encoder", tiny["encoder"], data).eval()
    cond = make_condition(data, batch=1)
    image = torch.rand(1, 3, 32, 32) * 2 - 1
    elsewhere = torch.where((cond["label"] == 0)[:, None], image, -image)
    with torch.no_grad():
        a, b = enc(image, cond), enc(elsewhere, cond)
    assert a["mu"].shape == a["logvar"].shape == a["region_style"].shape == (1, 4, 8)
    torch.testing.assert_close(a["mu"][:, 0], b["mu"][:, 0], rtol=0, atol=0)
    assert not torch.allclose(a["mu"][:, 1:], b["mu"][:, 1:])


def test_layers_follow_the_official_widths(registry):
    data = DataInfo(fields=frozenset({"label"}), resolution=(128, 128), label_nc=8)
    enc = ganforge.build("encoder", {"type": "groupdnet", "ndf": 16}, data)  # 'more': six stride-2 layers
    widths = [(u.conv.in_channels, u.conv.out_channels, u.conv.groups) for u in enc.layers]
    assert widths == [(24, 16, 8), (16, 32, 8), (32, 64, 8), (64, 128, 8), (128, 128, 8), (128, 128, 8)]
    assert all(u.conv.bias is None for u in enc.layers)  # normalised convs: no bias, as officially
    assert (enc.fc_mu.out_channels, enc.fc_mu.groups) == (64, 8)


def test_one_pixel_codes_with_instance_norm_are_refused(registry, data):
    with pytest.raises(ganforge.ConfigError, match="encoder 'groupdnet': codes of 1x1"):
        ganforge.build("encoder", {"type": "groupdnet", "ndf": 8, "num_upsampling_layers": "normal"}, data)

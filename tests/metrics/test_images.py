"""8-bit rounding and the named resize conventions."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

from ganforge.metrics import CONVENTIONS, inception_input, to_uint8
from ganforge.metrics.images import resize_pil_bicubic, resize_tf1_bilinear


def test_rounding_is_unbiased_and_truncation_is_half_a_grey_level_low():
    x = torch.rand(64, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    exact = (x + 1) * 127.5
    rounded = to_uint8(x).double()
    truncated = exact.to(torch.uint8).double()
    assert (rounded - exact.double()).abs().max() <= 0.5 + 1e-6
    assert abs(float((rounded - exact).mean())) < 0.01
    assert float((truncated - exact).mean()) == pytest.approx(-0.5, abs=0.01)


def test_to_uint8_maps_the_range_ends_and_rounds_half_up():
    x = torch.tensor([-1.5, -1.0, 1.0, 2.0, 0.5 / 127.5 - 1, 0.49 / 127.5 - 1]).view(1, 1, 1, -1)
    assert to_uint8(x).flatten().tolist() == [0, 0, 255, 255, 1, 0]
    u = torch.randint(0, 256, (2, 3, 4, 4), dtype=torch.uint8)
    assert to_uint8(u) is u


def test_tf1_bilinear_samples_at_i_times_in_over_out():
    """2 -> 4 pixels: TF1 samples input positions 0, 0.5, 1, 1.5 and clamps to the last pixel."""
    x = torch.tensor([[10.0, 30.0]]).view(1, 1, 1, 2).expand(1, 1, 2, 2)
    out = resize_tf1_bilinear(x, (2, 4))
    assert out[0, 0, 0].tolist() == [10.0, 20.0, 30.0, 30.0]


@pytest.mark.parametrize("size_in", [(32, 32), (37, 53), (299, 299), (512, 300)])
def test_tf1_bilinear_is_bit_exact_with_torch_fidelity(size_in):
    x = torch.randint(0, 256, (2, 3, *size_in), generator=torch.Generator().manual_seed(1)).float()
    ours = resize_tf1_bilinear(x, (299, 299))
    theirs = interpolate_bilinear_2d_like_tensorflow1x(x, size=(299, 299), align_corners=False)
    assert torch.equal(ours, theirs)


def test_pil_bicubic_resizes_each_channel_in_float32_without_requantising():
    x = torch.randint(0, 256, (1, 3, 20, 24), generator=torch.Generator().manual_seed(2)).float()
    out = resize_pil_bicubic(x, (299, 299))
    for c in range(3):
        img = Image.fromarray(x[0, c].numpy().astype(np.float32), mode="F").resize((299, 299), Image.BICUBIC)
        np.testing.assert_array_equal(out[0, c].numpy(), np.asarray(img).clip(0, 255))
    assert not torch.equal(out, out.round())  # float output: no second 8-bit rounding
    assert out.min() >= 0 and out.max() <= 255  # bicubic overshoot is clipped


def test_conventions_scale_as_their_libraries():
    grey = torch.full((1, 3, 16, 16), 128 / 127.5 - 1)  # uint8 128 after rounding
    for name in ("tf1_bilinear", "pil_bicubic", "torch_bilinear_antialias"):
        torch.testing.assert_close(inception_input(grey, name), torch.zeros(1, 3, 299, 299))
    torch.testing.assert_close(inception_input(grey, "torch_bilinear"), torch.full((1, 3, 299, 299), 2 * 128 / 255 - 1))
    u = torch.randint(0, 256, (2, 3, 30, 30), dtype=torch.uint8)
    pytorch_fid = 2 * F.interpolate(u.float() / 255, size=(299, 299), mode="bilinear", align_corners=False) - 1
    torch.testing.assert_close(inception_input(u, "torch_bilinear"), pytorch_fid, rtol=0, atol=0)
    aa = F.interpolate(u.float(), size=(299, 299), mode="bilinear", align_corners=False, antialias=True)
    torch.testing.assert_close(inception_input(u, "torch_bilinear_antialias"), (aa - 128) / 128)
    assert set(CONVENTIONS) == {"tf1_bilinear", "pil_bicubic", "torch_bilinear", "torch_bilinear_antialias"}


def test_grey_images_are_repeated_and_bad_input_is_named():
    grey = torch.rand(2, 1, 8, 8) * 2 - 1
    out = inception_input(grey, "tf1_bilinear")
    assert out.shape == (2, 3, 299, 299) and torch.equal(out[:, 0], out[:, 2])
    with pytest.raises(ValueError, match="unknown resize convention 'bicubic'; choose one of tf1_bilinear"):
        inception_input(grey, "bicubic")
    with pytest.raises(ValueError, match=r"\(B, 1 or 3, H, W\), got \(2, 4, 8, 8\)"):
        inception_input(torch.zeros(2, 4, 8, 8), "tf1_bilinear")

"""SWD: ProGAN's Laplacian pyramid (scipy 'mirror' convolution) and sliced Wasserstein."""

import numpy as np
import pytest
import scipy.ndimage
import torch

from ganforge import DataInfo
from ganforge.metrics import SWD, laplacian_pyramid, sliced_wasserstein
from ganforge.metrics.swd import GAUSSIAN_5X5, normalize_descriptors, random_patches


def progan_pyramid(x: np.ndarray, levels: int) -> list[np.ndarray]:
    """ProGAN's generate_laplacian_pyramid, written with scipy.ndimage as it is."""
    k = GAUSSIAN_5X5.numpy()[None, None]

    def down(t):
        return scipy.ndimage.convolve(t, k, mode="mirror")[:, :, ::2, ::2]

    def up(t):
        res = np.zeros((*t.shape[:2], t.shape[2] * 2, t.shape[3] * 2), t.dtype)
        res[:, :, ::2, ::2] = t
        return scipy.ndimage.convolve(res, k * 4.0, mode="mirror")

    pyramid = [x.astype(np.float32)]
    for _ in range(1, levels):
        pyramid.append(down(pyramid[-1]))
        pyramid[-2] -= up(pyramid[-1])
    return pyramid


def test_laplacian_pyramid_equals_progans():
    x = torch.randint(0, 256, (2, 3, 32, 32), generator=torch.Generator().manual_seed(0)).float()
    ours = laplacian_pyramid(x, 2)
    for a, b in zip(ours, progan_pyramid(x.numpy(), 2)):
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-5, atol=1e-3)
    assert [tuple(level.shape[-2:]) for level in ours] == [(32, 32), (16, 16)]


def test_sliced_wasserstein_of_a_shifted_set_is_the_mean_projected_shift():
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(500, 6, generator=gen)
    shift = torch.tensor([1.0, -2.0, 0.5, 0.0, 0.0, 3.0])
    dirs = [torch.nn.functional.normalize(torch.randn(6, 16, generator=gen), dim=0) for _ in range(3)]
    expected = float(torch.cat([(shift @ d).abs() for d in dirs]).mean())
    assert sliced_wasserstein(a, a + shift, dirs) == pytest.approx(expected, rel=1e-5)
    assert sliced_wasserstein(a, a[torch.randperm(500, generator=gen)], dirs) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="equal numbers of descriptors"):
        sliced_wasserstein(a, a[:10], dirs)


def test_patches_and_descriptor_normalisation():
    x = torch.arange(2 * 3 * 16 * 16, dtype=torch.float32).view(2, 3, 16, 16)
    p = random_patches(x, 7, 5, torch.Generator().manual_seed(2))
    assert p.shape == (10, 3, 7, 7)
    # each patch is a contiguous 7x7 window of its own image
    assert torch.all(p[:, :, :, 1:] - p[:, :, :, :-1] == 1) and torch.all(p[:, :, 1:] - p[:, :, :-1] == 16)
    assert torch.all(p[5:, 0, 0, 0] >= 3 * 256)  # patches 5..9 come from the second image
    d = normalize_descriptors(torch.randn(100, 3, 7, 7) * 5 + 2).view(100, 3, 49)
    torch.testing.assert_close(d.mean((0, 2)), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(d.std((0, 2), correction=0), torch.ones(3), atol=1e-5, rtol=0)


def test_swd_metric_reports_each_level_and_separates_distributions():
    gen = torch.Generator().manual_seed(3)
    smooth = torch.linspace(-1, 1, 32).view(1, 1, 1, 32) * torch.rand(8, 3, 32, 1, generator=gen)
    smooth2 = torch.linspace(-1, 1, 32).view(1, 1, 1, 32) * torch.rand(8, 3, 32, 1, generator=gen)
    noise = torch.rand(8, 3, 32, 32, generator=gen) * 2 - 1
    params = SWD.Params(nhoods_per_image=16, dirs_per_repeat=32)
    same, different = SWD(params, DataInfo()), SWD(params, DataInfo())
    same.update(smooth, smooth2)
    different.update(noise, smooth2)
    s, d = same.compute(), different.compute()
    assert set(s) == {"swd_32", "swd_16", "swd"} and s["swd"] == pytest.approx((s["swd_32"] + s["swd_16"]) / 2)
    assert 0 <= s["swd"] < d["swd"] / 2
    with pytest.raises(ValueError, match="smaller than min_resolution 16"):
        same.update(torch.zeros(1, 3, 8, 8))

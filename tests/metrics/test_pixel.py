"""PSNR, SSIM and RMSE against direct numpy definitions and known values."""

import math

import numpy as np
import pytest
import torch

from ganforge import DataInfo
from ganforge.metrics import PSNR, RMSE, SSIM, psnr_per_image, ssim_per_image, to_uint8


def ssim_direct(x: np.ndarray, y: np.ndarray, data_range=255.0) -> float:
    """Wang et al.'s SSIM written out window by window: 11x11 Gaussian weights (sigma 1.5),
    population moments, mean over every position where the window fits, then channels."""
    t = np.arange(11) - 5
    g = np.exp(-t ** 2 / (2 * 1.5 ** 2))
    w = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    per_channel = []
    for a, b in zip(x, y):
        vals = []
        for i in range(a.shape[0] - 10):
            for j in range(a.shape[1] - 10):
                pa, pb = a[i:i + 11, j:j + 11], b[i:i + 11, j:j + 11]
                ma, mb = (w * pa).sum(), (w * pb).sum()
                va, vb = (w * (pa - ma) ** 2).sum(), (w * (pb - mb) ** 2).sum()
                cov = (w * (pa - ma) * (pb - mb)).sum()
                vals.append((2 * ma * mb + c1) * (2 * cov + c2) / ((ma ** 2 + mb ** 2 + c1) * (va + vb + c2)))
        per_channel.append(np.mean(vals))
    return float(np.mean(per_channel))


def test_ssim_equals_the_windowed_definition():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (2, 3, 16, 19)).astype(np.float64)
    y = np.clip(x + rng.normal(0, 25, x.shape), 0, 255).round()
    got = ssim_per_image(torch.from_numpy(x), torch.from_numpy(y))
    for b in range(2):
        assert float(got[b]) == pytest.approx(ssim_direct(x[b], y[b]), rel=1e-10)
    assert 0.2 < float(got.mean()) < 0.95


def test_ssim_of_identical_images_is_one_and_small_images_are_rejected():
    x = torch.rand(1, 3, 12, 12, dtype=torch.float64) * 255
    assert float(ssim_per_image(x, x)) == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(ValueError, match=r"at least 11x11 pixels, got \(10, 12\)"):
        ssim_per_image(x[:, :, :10], x[:, :, :10])


def test_psnr_and_rmse_of_a_one_grey_level_offset():
    real = torch.randint(0, 255, (3, 3, 16, 16), dtype=torch.uint8)
    fake = real + 1
    psnr = PSNR(PSNR.Params(), DataInfo())
    rmse = RMSE(RMSE.Params(), DataInfo())
    for metric in (psnr, rmse):
        metric.update(fake, real)
    assert psnr.compute()["psnr"] == pytest.approx(20 * math.log10(255), rel=1e-12)  # 48.1308 dB
    assert rmse.compute()["rmse"] == pytest.approx(1.0, rel=1e-12)
    assert psnr_per_image(real.double(), real.double()).isinf().all()


def test_metrics_average_per_image_scores_over_batches_and_quantise_first():
    gen = torch.Generator().manual_seed(1)
    real = torch.rand(5, 3, 16, 16, generator=gen) * 2 - 1
    fake = (real + 0.2 * torch.randn(5, 3, 16, 16, generator=gen)).clamp(-1, 1)
    ssim = SSIM(SSIM.Params(), DataInfo())
    ssim.update(fake[:2], real[:2])
    ssim.update(fake[2:], real[2:])
    expected = ssim_per_image(to_uint8(fake).double(), to_uint8(real).double()).mean()
    assert ssim.compute()["ssim"] == pytest.approx(float(expected), rel=1e-12)
    exact = SSIM(SSIM.Params(quantize=False), DataInfo())
    exact.update(fake, real)
    unquantised = ssim_per_image((fake.double() + 1) * 127.5, (real.double() + 1) * 127.5).mean()
    assert exact.compute()["ssim"] == pytest.approx(float(unquantised), rel=1e-12)
    ssim.reset()
    with pytest.raises(ValueError, match="metric 'ssim': no images were given"):
        ssim.compute()


def test_paired_metrics_need_matching_ground_truth():
    psnr = PSNR(PSNR.Params(), DataInfo())
    with pytest.raises(ValueError, match="metric 'psnr' compares each output with its ground truth"):
        psnr.update(torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match=r"fake \(1, 3, 8, 8\) and real \(1, 3, 8, 9\) differ"):
        psnr.update(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 9))

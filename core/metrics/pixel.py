"""Paired pixel metrics: PSNR, SSIM and RMSE between generated and ground-truth images.

Papers compute them on saved 8-bit images, so by default both images are rounded to
uint8 first (`to_uint8`) and compared on the [0, 255] scale. SSIM is Wang et al.'s
(IEEE TIP 2004) with a Gaussian window of 11 taps and sigma 1.5, K1 = 0.01, K2 = 0.03,
population (not sample) moments, averaged over the region where the window fits
inside the image — what ``skimage.metrics.structural_similarity(gaussian_weights=True,
sigma=1.5, use_sample_covariance=False, data_range=255)`` and torchmetrics compute.
Each image gets its own score (channels averaged for SSIM); the metric is the mean
over images, summed across DDP ranks.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pydantic import Field

from ganforge.condition import Condition
from ganforge.interfaces import DataInfo, Metric, Params

from .distributed import all_reduce_sum
from .images import to_uint8

DATA_RANGE = 255.0


def _as_255(images: torch.Tensor, quantize: bool) -> torch.Tensor:
    """Images in [-1, 1] on the [0, 255] scale in float64, rounded to 8 bits if ``quantize``."""
    if quantize or images.dtype == torch.uint8:
        return to_uint8(images).double()
    return images.detach().double().clamp(-1, 1).add(1).mul(DATA_RANGE / 2)


def mse_per_image(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((x - y) ** 2).flatten(1).mean(1)


def psnr_per_image(x: torch.Tensor, y: torch.Tensor, data_range: float = DATA_RANGE) -> torch.Tensor:
    """10 log10(R^2 / MSE) per image; identical images give +inf."""
    return 10 * torch.log10(data_range ** 2 / mse_per_image(x, y))


def gaussian_window(size: int = 11, sigma: float = 1.5, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The normalised 1-D Gaussian, centred on the middle tap."""
    t = torch.arange(size, dtype=dtype) - (size - 1) / 2
    w = torch.exp(-(t ** 2) / (2 * sigma ** 2))
    return w / w.sum()


def ssim_per_image(x: torch.Tensor, y: torch.Tensor, data_range: float = DATA_RANGE, window: int = 11,
                   sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03) -> torch.Tensor:
    """Mean SSIM of each image (B,) over the valid region and the channels."""
    if min(x.shape[-2:]) < window:
        raise ValueError(f"SSIM needs images of at least {window}x{window} pixels, got {tuple(x.shape[-2:])}")
    c = x.shape[1]
    w = gaussian_window(window, sigma, x.dtype).to(x.device)
    wy, wx = w.view(1, 1, -1, 1).expand(c, 1, -1, 1), w.view(1, 1, 1, -1).expand(c, 1, 1, -1)

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.conv2d(t, wy, groups=c), wx, groups=c)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x ** 2
    var_y = blur(y * y) - mu_y ** 2
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    ssim = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2))
    return ssim.flatten(1).mean(1)


class PixelParams(Params):
    quantize: bool = Field(True, description="round both images to 8 bits first, as saved PNGs are")


class PairedPixelMetric(Metric):
    """Mean over image pairs of a per-image score; ``name`` is the result's key."""

    Params = PixelParams
    name = ""

    def __init__(self, params: PixelParams, data: DataInfo):
        super().__init__(params, data)
        self.reset()

    def reset(self) -> None:
        self.total = torch.zeros((), dtype=torch.float64)
        self.count = torch.zeros((), dtype=torch.float64)

    def update(self, fake: torch.Tensor, real: torch.Tensor | None = None, cond: Condition | None = None) -> None:
        if real is None:
            raise ValueError(f"metric {self.name!r} compares each output with its ground truth: pass `real`")
        if fake.shape != real.shape:
            raise ValueError(f"metric {self.name!r}: fake {tuple(fake.shape)} and real {tuple(real.shape)} differ")
        x, y = _as_255(fake, self.params.quantize), _as_255(real, self.params.quantize)
        scores = self.per_image(x, y).cpu()
        self.total += scores.sum()
        self.count += scores.numel()

    def per_image(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def compute(self) -> dict[str, float]:
        total, count = all_reduce_sum(self.total, self.count)
        if count == 0:
            raise ValueError(f"metric {self.name!r}: no images were given to update()")
        return {self.name: float(total / count)}


class PSNR(PairedPixelMetric):
    """Peak signal-to-noise ratio in dB (peak 255), averaged over images."""

    name = "psnr"

    def per_image(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return psnr_per_image(x, y)


class SSIM(PairedPixelMetric):
    """Structural similarity, Gaussian window 11 / sigma 1.5, averaged over images."""

    name = "ssim"

    def per_image(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return ssim_per_image(x, y)


class RMSE(PairedPixelMetric):
    """Root mean squared error on the [0, 255] scale, averaged over images."""

    name = "rmse"

    def per_image(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return mse_per_image(x, y).sqrt()

"""Sliced Wasserstein distance between Laplacian-pyramid patches (Karras et al., ICLR 2018),
as ProGAN's ``metrics/sliced_wasserstein.py`` computes it and CoCosNet reports it.

Per pyramid level (image resolution down to 16 px): 128 random 7x7 neighbourhoods per
image; descriptors normalised per channel over the set; then 4 repeats of 128 random unit
directions, the sorted projections of the two sets compared point by point, averaged.
Reported x 1e3 per level and averaged over levels. Directions and patch positions come
from a seeded generator (ProGAN used numpy's unseeded global one), so the numbers are
reproducible and equal ProGAN's in distribution, not digit for digit.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pydantic import Field

from ganforge.condition import Condition
from ganforge.interfaces import DataInfo, Metric, Params

from .distributed import all_gather_rows
from .images import as_rgb, to_uint8

_BINOMIAL = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0])
GAUSSIAN_5X5 = torch.outer(_BINOMIAL, _BINOMIAL) / 256  # cv2.pyrDown's kernel


def _blur(x: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
    """5x5 binomial filter with mirror borders (scipy's 'mirror' = torch's 'reflect')."""
    c = x.shape[1]
    k = (GAUSSIAN_5X5 * gain).to(x).expand(c, 1, 5, 5)
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), k, groups=c)


def pyr_down(x: torch.Tensor) -> torch.Tensor:
    return _blur(x)[:, :, ::2, ::2]


def pyr_up(x: torch.Tensor) -> torch.Tensor:
    up = torch.zeros(*x.shape[:2], x.shape[2] * 2, x.shape[3] * 2, dtype=x.dtype, device=x.device)
    up[:, :, ::2, ::2] = x
    return _blur(up, gain=4.0)


def laplacian_pyramid(x: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """Band-pass levels, finest first; the last is the low-pass residual."""
    pyramid = [x.float()]
    for _ in range(1, levels):
        pyramid.append(pyr_down(pyramid[-1]))
        pyramid[-2] = pyramid[-2] - pyr_up(pyramid[-1])
    return pyramid


def random_patches(x: torch.Tensor, size: int, per_image: int, gen: torch.Generator) -> torch.Tensor:
    """(B * per_image, C, size, size) neighbourhoods centred at uniform random pixels whose
    window fits inside the image."""
    b, c, h, w = x.shape
    half = size // 2
    cy = torch.randint(half, h - half, (b, per_image), generator=gen)
    cx = torch.randint(half, w - half, (b, per_image), generator=gen)
    offs = torch.arange(-half, half + 1)
    rows = (cy[..., None] + offs).view(b, per_image, size, 1).expand(-1, -1, -1, size)
    cols = (cx[..., None] + offs).view(b, per_image, 1, size).expand(-1, -1, size, -1)
    img = torch.arange(b).view(b, 1, 1, 1).expand_as(rows)
    patches = x.cpu()[img, :, rows, cols]  # (B, P, size, size, C)
    return patches.permute(0, 1, 4, 2, 3).reshape(b * per_image, c, size, size)


def normalize_descriptors(desc: torch.Tensor) -> torch.Tensor:
    """Per-channel zero mean and unit (population) std over the whole set, then flattened."""
    desc = desc - desc.mean((0, 2, 3), keepdim=True)
    desc = desc / desc.std((0, 2, 3), keepdim=True, correction=0)
    return desc.flatten(1)


def sliced_wasserstein(a: torch.Tensor, b: torch.Tensor, directions: list[torch.Tensor]) -> float:
    """Mean over repeats of the mean |sorted(a d) - sorted(b d)| over points and directions d."""
    if a.shape != b.shape:
        raise ValueError(f"metric 'swd' compares equal numbers of descriptors; got {tuple(a.shape)} and "
                         f"{tuple(b.shape)} (evaluate as many generated as real images)")
    results = []
    for dirs in directions:
        pa, pb = (a @ dirs).sort(0).values, (b @ dirs).sort(0).values
        results.append(float((pa - pb).abs().mean()))
    return sum(results) / len(results)


class SWDParams(Params):
    nhood_size: int = Field(7, ge=3, description="side of the square patches")
    nhoods_per_image: int = Field(128, ge=1, description="patches drawn from each image at each level")
    dir_repeats: int = Field(4, ge=1, description="repeats of the random projection")
    dirs_per_repeat: int = Field(128, ge=1, description="random unit directions per repeat")
    min_resolution: int = Field(16, ge=8, description="coarsest pyramid level")
    seed: int = Field(0, description="seed of patch positions and directions")


class SWD(Metric):
    """Sliced Wasserstein distance x 1e3 per Laplacian-pyramid level (``swd_<res>``) and
    their mean (``swd``), between generated and real 8-bit images."""

    Params = SWDParams

    def __init__(self, params: SWDParams, data: DataInfo):
        super().__init__(params, data)
        self.reset()

    def reset(self) -> None:
        self.gen = torch.Generator().manual_seed(self.params.seed)
        self.desc: dict[str, list[list[torch.Tensor]]] = {"fake": [], "real": []}
        self.resolutions: list[int] | None = None

    def levels(self, resolution: int) -> list[int]:
        out = []
        while resolution >= self.params.min_resolution:
            out.append(resolution)
            resolution //= 2
        return out

    def _add(self, images: torch.Tensor, which: str) -> None:
        x = as_rgb(to_uint8(images)).float()
        res = self.levels(min(x.shape[-2:]))
        if not res:
            raise ValueError(f"metric 'swd': images of {tuple(x.shape[-2:])} are smaller than min_resolution "
                             f"{self.params.min_resolution}")
        if self.resolutions not in (None, res):
            raise ValueError(f"metric 'swd': all images need one resolution; got pyramid levels {res} after "
                             f"{self.resolutions}")
        self.resolutions = res
        p = self.params
        per_level = [random_patches(level, p.nhood_size, p.nhoods_per_image, self.gen)
                     for level in laplacian_pyramid(x, len(res))]
        self.desc[which].append(per_level)

    @torch.no_grad()
    def update(self, fake: torch.Tensor, real: torch.Tensor | None = None, cond: Condition | None = None) -> None:
        self._add(fake, "fake")
        if real is not None:
            self._add(real, "real")

    def compute(self) -> dict[str, float]:
        if not self.desc["fake"] or not self.desc["real"]:
            raise ValueError("metric 'swd' needs both generated and real images")
        sets = {k: [normalize_descriptors(all_gather_rows(torch.cat(level)))
                    for level in zip(*self.desc[k])] for k in ("fake", "real")}
        dim = sets["real"][0].shape[1]
        gen = torch.Generator().manual_seed(self.params.seed + 1)
        out = {}
        for level, real, fake in zip(self.resolutions, sets["real"], sets["fake"]):
            dirs = [F.normalize(torch.randn(dim, self.params.dirs_per_repeat, generator=gen), dim=0)
                    for _ in range(self.params.dir_repeats)]
            out[f"swd_{level}"] = 1e3 * sliced_wasserstein(real, fake, dirs)
        out["swd"] = sum(out.values()) / len(out)
        return out

"""Spatial masks of the applications: from a PNG (white = 1) or a pixel box, optionally blurred
(the paper's M_blur of image crossover, so the two embeddings meet without a seam)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

import ganforge
from ganforge.data.io import open_image


def load_mask(path: str | Path, size: tuple[int, int]) -> torch.Tensor:
    """(1, 1, H, W) in [0, 1] from a greyscale (or any) image, resized bilinearly to ``size``."""
    img = open_image(Path(path)).convert("L").resize((size[1], size[0]), Image.BILINEAR)
    return torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0)[None, None]


def box_mask(box: str, size: tuple[int, int]) -> torch.Tensor:
    """(1, 1, H, W): 1 inside ``"top,left,bottom,right"`` (pixels, bottom/right exclusive)."""
    parts = box.split(",")
    if len(parts) != 4 or not all(p.strip().lstrip("-").isdigit() for p in parts):
        raise ganforge.ConfigError(f"--box {box!r}: expected top,left,bottom,right in pixels")
    top, left, bottom, right = (int(p) for p in parts)
    h, w = size
    if not (0 <= top < bottom <= h and 0 <= left < right <= w):
        raise ganforge.ConfigError(f"--box {box!r}: must be a non-empty box inside the {h}x{w} image")
    mask = torch.zeros(1, 1, h, w)
    mask[..., top:bottom, left:right] = 1
    return mask


def blur(mask: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian-blurred mask (separable, reflect padding); sigma 0 returns it unchanged."""
    if sigma <= 0:
        return mask
    r = max(1, int(3 * sigma))
    t = torch.arange(-r, r + 1, dtype=mask.dtype)
    k = torch.exp(-t ** 2 / (2 * sigma ** 2))
    k = k / k.sum()
    x = F.pad(mask, (r, r, r, r), mode="reflect")
    x = F.conv2d(x, k.view(1, 1, 1, -1))
    return F.conv2d(x, k.view(1, 1, -1, 1))

"""Holes for inpainting, as the authors' TF code draws them (``net/ops.py``), in units of
the image size so that one setting serves 256 px training and small synthetic runs.

* ``rect``: a box of ``hole`` x the image side, shrunk on each side by up to
  ``max_delta`` / 2, at a random place (TF: mask_shapes 128, max_delta_shapes 32 at 256).
* ``free_form``: ``parts`` brush strokes of up to ``max_vertex`` segments
  (TF free_form_mask_tf: 8 parts, 16 vertices, length 80, brush width 10..20 at 256).

``discounted_weights`` is the TF code's ``priority_loss_mask``: confidence propagated
from the known pixels into the hole by seven passes of a wide blur, so the in-hole L1
trusts pixels near the boundary more than the hole's centre.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field

import ganforge


class MaskParams(ganforge.Params):
    type: Literal["rect", "free_form"] = Field("rect", description="box holes or free-form brush strokes")
    hole: float = Field(0.5, gt=0, le=1, description="rect: hole side / image side (128 / 256)")
    max_delta: float = Field(0.125, ge=0, lt=1, description="rect: largest total shrink / image side (32 / 256)")
    parts: int = Field(8, ge=1, description="free_form: strokes per mask")
    max_vertex: int = Field(16, ge=1, description="free_form: most segments per stroke")
    max_length: float = Field(80 / 256, gt=0, description="free_form: longest segment / image side")
    max_brush: float = Field(20 / 256, gt=0, description="free_form: widest brush / image side")


def make_masks(p: MaskParams, batch: int, size: tuple[int, int], gen: torch.Generator | None = None) -> torch.Tensor:
    """(B, 1, H, W) float masks, 1 = hole."""
    seed = int(torch.randint(0, 2 ** 31 - 1, (1,), generator=gen))
    rng = np.random.default_rng(seed)
    draw = _rect if p.type == "rect" else _free_form
    return torch.from_numpy(np.stack([draw(p, size, rng) for _ in range(batch)]))[:, None]


def _rect(p: MaskParams, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    h, w = size
    mh, mw = max(1, round(p.hole * h)), max(1, round(p.hole * w))
    top, left = rng.integers(0, h - mh + 1), rng.integers(0, w - mw + 1)
    dh, dw = (rng.integers(0, round(p.max_delta * s) // 2 + 1) for s in (h, w))
    mask = np.zeros((h, w), np.float32)
    mask[top + dh:top + mh - dh, left + dw:left + mw - dw] = 1
    return mask


def _free_form(p: MaskParams, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    h, w = size
    yy, xx = np.mgrid[:h, :w]
    mask = np.zeros((h, w), bool)
    side = min(h, w)
    for _ in range(p.parts):
        y, x = rng.integers(h), rng.integers(w)
        for i in range(rng.integers(p.max_vertex + 1)):
            angle = rng.uniform(0, 2 * math.pi)
            length = rng.uniform(0, p.max_length * side)
            radius = max(1.0, rng.uniform(p.max_brush * side / 2, p.max_brush * side) / 2)
            ny = float(np.clip(y + length * math.cos(angle), 0, h - 1))
            nx = float(np.clip(x + length * math.sin(angle), 0, w - 1))
            # distance of every pixel to the segment (y, x) -> (ny, nx)
            dy, dx = ny - y, nx - x
            t = np.clip(((yy - y) * dy + (xx - x) * dx) / max(dy * dy + dx * dx, 1e-9), 0, 1)
            mask |= (yy - (y + t * dy)) ** 2 + (xx - (x + t * dx)) ** 2 <= radius ** 2
            y, x = ny, nx
    return mask.astype(np.float32)


def _blur_kernel(size: int, sigma: float = 1 / 40) -> torch.Tensor:
    """TF gauss_kernel(size, sigma): a (size, size) kernel from normal-cdf differences."""
    interval = (2 * sigma + 1.0) / size
    x = torch.linspace(-sigma - interval / 2, sigma + interval / 2, size + 1, dtype=torch.float64)
    k1 = torch.diff(torch.special.ndtr(x))
    k = torch.sqrt(torch.outer(k1, k1))
    return (k / k.sum()).float()


def discounted_weights(mask: torch.Tensor, iters: int = 7) -> torch.Tensor:
    """(B, 1, H, W) in-hole loss weights (0 outside the hole); kernel side H / 4 (64 at 256)."""
    size = max(3, mask.shape[-2] // 4)
    kernel = _blur_kernel(size).to(mask)[None, None]
    pad = ((size - 1) // 2, size // 2, (size - 1) // 2, size // 2)  # TF 'SAME' for an even kernel
    init = 1 - mask
    weights = mask
    for _ in range(iters):
        weights = F.conv2d(F.pad(init, pad), kernel) * mask
        init = weights + (1 - mask)
    return weights

"""SEAN's applications (Zhu et al. 2020, Sec. 4.3 and Figs. 1, 7, 8): everything the style
matrix makes possible once an image is encoded into one code per region.

* `transfer_style` — per-region style transfer: region k of the target gets the style
  code of region k of a reference image (Fig. 1, "style transfer per region").
* `interpolate_style` — per-region style interpolation between two images' codes (Fig. 8).
* `reconstruct` — encode an image and synthesise it back from its own label map and
  style matrix; scored with PSNR / SSIM / RMSE as in the paper's Table 1.

The pure operations on style matrices (`swap_regions`, `blend_regions`) are separate from
the ones that run networks, so they can be checked exactly.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

import ganforge
from ganforge import Condition, DataInfo
from ganforge.metrics import PSNR, RMSE, SSIM


def encode_styles(encoder: nn.Module, image: torch.Tensor, cond: Condition) -> torch.Tensor:
    """The style matrix (B, K, D) of ``image`` over its label map."""
    return encoder(image, cond)["region_style"]


def present_classes(cond: Condition, num_classes: int) -> torch.Tensor:
    """(B, K) bool: which classes have at least one pixel in each label map."""
    return cond.onehot(num_classes).flatten(2).amax(-1) > 0


def _check_classes(classes: Sequence[int], num_classes: int) -> list[int]:
    out = [int(k) for k in classes]
    bad = [k for k in out if not 0 <= k < num_classes]
    if not out or bad:
        raise ganforge.ConfigError(f"SEAN: classes must be ids in [0, {num_classes}), got {list(classes)}")
    return out


def swap_regions(codes: torch.Tensor, reference: torch.Tensor, classes: Sequence[int]) -> torch.Tensor:
    """``codes`` (B, K, D) with the rows of ``classes`` taken from ``reference`` (B or 1, K, D)."""
    return blend_regions(codes, reference, classes, 1.0)


def blend_regions(codes: torch.Tensor, other: torch.Tensor, classes: Sequence[int], t: float) -> torch.Tensor:
    """(1 - t) codes + t other on the rows of ``classes``; the other rows stay as they are."""
    rows = torch.zeros(codes.shape[1], dtype=torch.bool, device=codes.device)
    rows[_check_classes(classes, codes.shape[1])] = True
    mixed = torch.lerp(codes, other.to(codes.dtype).expand_as(codes), t)
    return torch.where(rows[None, :, None], mixed, codes)


def synthesize(generator: nn.Module, cond: Condition, codes: torch.Tensor) -> torch.Tensor:
    """G(label map, style matrix)."""
    return generator(cond.replace(region_style=codes))


@torch.no_grad()
def transfer_style(generator: nn.Module, encoder: nn.Module, image: torch.Tensor, cond: Condition,
                   reference: torch.Tensor, reference_cond: Condition, classes: Sequence[int]) -> torch.Tensor:
    """``image`` re-synthesised with the regions ``classes`` in the reference's style.

    A class missing from the reference has no style to give (its code is zero): that is
    an error naming the class rather than a silently flattened region.
    """
    codes = encode_styles(encoder, image, cond)
    ref_codes = encode_styles(encoder, reference, reference_cond)
    num_classes = codes.shape[1]
    present = present_classes(reference_cond, num_classes)
    missing = [k for k in _check_classes(classes, num_classes) if not bool(present[:, k].all())]
    if missing:
        raise ganforge.DataError(f"SEAN style transfer: the reference label map has no pixels of classes {missing}")
    return synthesize(generator, cond, swap_regions(codes, ref_codes, classes))


@torch.no_grad()
def interpolate_style(generator: nn.Module, encoder: nn.Module, image: torch.Tensor, cond: Condition,
                      other: torch.Tensor, other_cond: Condition, classes: Sequence[int] | None = None,
                      steps: int = 5) -> torch.Tensor:
    """(steps, B, C, H, W): ``image``'s layout with the codes of ``classes`` (default all)
    moving linearly from its own style (t = 0) to ``other``'s (t = 1)."""
    if steps < 2:
        raise ganforge.ConfigError(f"SEAN style interpolation needs steps >= 2, got {steps}")
    codes = encode_styles(encoder, image, cond)
    other_codes = encode_styles(encoder, other, other_cond)
    classes = list(range(codes.shape[1])) if classes is None else classes
    return torch.stack([synthesize(generator, cond, blend_regions(codes, other_codes, classes, float(t)))
                        for t in torch.linspace(0, 1, steps)])


@torch.no_grad()
def reconstruct(generator: nn.Module, encoder: nn.Module, image: torch.Tensor,
                cond: Condition) -> tuple[torch.Tensor, dict[str, float]]:
    """The reconstruction G(label, E(image, label)) and its PSNR (dB), SSIM and RMSE
    against ``image`` on 8-bit images (ganforge.metrics' conventions)."""
    fake = synthesize(generator, cond, encode_styles(encoder, image, cond))
    scores: dict[str, float] = {}
    for metric_cls in (PSNR, SSIM, RMSE):
        metric = metric_cls(metric_cls.Params(), DataInfo())
        metric.update(fake, image)
        scores.update(metric.compute())
    return fake, scores

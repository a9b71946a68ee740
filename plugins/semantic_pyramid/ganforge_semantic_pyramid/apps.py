"""The paper's applications (Sec. 4), all with the one trained model and no further training.

Every application chooses the reference image x and the masks M:

* generation from a semantic level: M feeds one whole level (Fig. 1a, 5);
* semantically-controlled inpainting: the chosen level everywhere, the shallower conv
  levels only outside the hole, so the hole is re-generated from coarser semantics (Fig. 8);
* compositing: paste an image region into another, then treat the pasted box as the hole,
  so fine details around and inside are harmonised by the deep features (Fig. 9);
* re-labelling: feed a level and replace fc8 (the class logits) by logits that favour a
  new class (Fig. 1d).
"""

from __future__ import annotations

import torch
from torch import nn

from ganforge import Condition

from .classifier import CONV_LEVELS, LEVELS
from .masks import level_index, single_level


def _cond(reference: torch.Tensor, mask: torch.Tensor, z: torch.Tensor) -> Condition:
    return Condition(exemplar=reference, pyramid_mask=mask.to(reference.device), z=z.to(reference.device))


@torch.no_grad()
def from_levels(G: nn.Module, reference: torch.Tensor, levels, z: torch.Tensor) -> list[torch.Tensor]:
    """One batch of generations per level in ``levels`` (names or indices), same z."""
    size = tuple(reference.shape[-2:])
    return [G(_cond(reference, single_level(level, reference.shape[0], size), z)) for level in levels]


def hole_masks(hole: torch.Tensor, level: str | int) -> torch.Tensor:
    """M for inpainting: ``level`` everywhere, shallower conv levels outside ``hole`` (B, 1, H, W)."""
    index = level_index(level)
    mask = single_level(index, hole.shape[0], tuple(hole.shape[-2:]), hole.device)
    mask[:, :min(index, CONV_LEVELS)] = 1 - hole.float()
    return mask


@torch.no_grad()
def inpaint(G: nn.Module, image: torch.Tensor, hole: torch.Tensor, level: str | int, z: torch.Tensor) -> torch.Tensor:
    """Re-generate ``hole`` (1 inside) of ``image`` from the features of ``level`` and deeper."""
    return G(_cond(image, hole_masks(hole, level), z))


def box_mask(size: tuple[int, int], box: tuple[float, float, float, float], batch: int = 1) -> torch.Tensor:
    """(B, 1, H, W) mask of ``box`` = (x0, y0, x1, y1) in [0, 1] units of the image."""
    x0, y0, x1, y1 = box
    if not (0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1):
        raise ValueError(f"box {box}: expected 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1")
    h, w = size
    top, left = round(y0 * h), round(x0 * w)
    bottom, right = max(round(y1 * h), top + 1), max(round(x1 * w), left + 1)  # at least one pixel
    mask = torch.zeros(batch, 1, h, w)
    mask[..., top:bottom, left:right] = 1
    return mask


@torch.no_grad()
def composite(G: nn.Module, background: torch.Tensor, paste: torch.Tensor, box: tuple[float, float, float, float],
              level: str | int, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(naive composite, generated composite): ``paste`` resized into ``box`` of ``background``."""
    mask = box_mask(tuple(background.shape[-2:]), box, background.shape[0]).to(background.device)
    ys, xs = torch.nonzero(mask[0, 0], as_tuple=True)
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    naive = background.clone()
    naive[..., y0:y1, x0:x1] = nn.functional.interpolate(paste, size=(y1 - y0, x1 - x0), mode="bilinear",
                                                          align_corners=False, antialias=True)
    return naive, inpaint(G, naive, mask, level, z)


@torch.no_grad()
def relabel(G: nn.Module, image: torch.Tensor, new_class: int, level: str | int, z: torch.Tensor,
            margin: float = 10.0) -> torch.Tensor:
    """Generate from ``level`` of ``image`` with fc8 edited so that ``new_class`` wins by ``margin``."""
    num_classes = G.classifier.level_channels[-1]
    if not 0 <= new_class < num_classes:
        raise ValueError(f"class {new_class} out of range: the classifier has {num_classes} classes")
    index = level_index(level)
    if index == len(LEVELS) - 1:
        raise ValueError("re-labelling feeds a level besides fc8 (the edited labels): choose conv1..fc7")
    mask = single_level(index, image.shape[0], tuple(image.shape[-2:]), image.device)
    mask[:, -1] = 1
    cond = _cond(image, mask, z)
    fed = G.features(cond)
    logits = fed[-1].clone()
    logits[:, new_class] = logits.max(1).values + margin
    return G.synthesize([*fed[:-1], logits], cond)


__all__ = ["from_levels", "inpaint", "composite", "relabel", "hole_masks", "box_mask"]

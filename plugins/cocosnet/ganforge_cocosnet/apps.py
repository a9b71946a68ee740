"""CoCosNet's applications (Zhang et al. 2020, Sec. 4 and 5) on trained networks.

* exemplar-based translation: a label (or edge) map and an exemplar of another scene give
  the warped exemplar r_{y->x} and the result;
* makeup-transfer-like region editing (Sec. 5, "makeup transfer"): inside chosen classes
  the image takes the exemplar's appearance, elsewhere it keeps its own -- the warp of the
  exemplar is used in the region, the image's own warp (itself as exemplar) outside it,
  and the translation network renders the combination.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

import ganforge
from ganforge import Condition


@torch.no_grad()
def translate(correspondence: nn.Module, generator: nn.Module, cond: Condition) -> tuple[torch.Tensor, torch.Tensor]:
    """(warped exemplar, result) for a condition holding the input map and the exemplar."""
    warped = correspondence(None, cond)["warped_exemplar"]
    return warped, generator(cond.replace(warped_exemplar=warped))


def region_mask(label: torch.Tensor, classes: Sequence[int]) -> torch.Tensor:
    """(B, 1, H, W) float mask of the pixels whose label is one of ``classes``."""
    if not classes:
        raise ganforge.ConfigError("region editing needs at least one class id")
    return torch.isin(label, torch.tensor(list(classes), device=label.device)).unsqueeze(1).float()


@torch.no_grad()
def edit_regions(correspondence: nn.Module, generator: nn.Module, image: torch.Tensor, cond: Condition,
                 classes: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(edited warp, result): the exemplar's appearance inside ``classes``, the image's own outside.

    ``cond`` holds the image's label map and the exemplar (with its label map)."""
    own = cond.replace(exemplar=image, exemplar_label=cond["label"]) if "exemplar_label" in cond \
        else cond.replace(exemplar=image)
    mask = region_mask(cond["label"], classes)
    warped = mask * correspondence(None, cond)["warped_exemplar"] + (1 - mask) * correspondence(None, own)[
        "warped_exemplar"]
    return warped, generator(cond.replace(warped_exemplar=warped))

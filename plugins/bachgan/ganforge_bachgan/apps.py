"""BachGAN's application (Li et al. 2020, Figs. 1, 5, 7): a user draws a few boxes with
classes, BachGAN retrieves background layouts for them and synthesises the whole scene.

* `read_boxes` — boxes from a JSON file, checked entry by entry.
* `synthesize` — boxes -> retrieved candidate maps and the generated image.
* `colour_labels` / `layout_picture` — label maps and box layouts as RGB pictures for the
  grid ``boxes layout | retrieved backgrounds | output``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from torch import nn

import ganforge
from ganforge import Condition

from .layout import box_layout
from .retrieval import BackgroundRetrieval


def read_boxes(path: str | Path, num_labels: int, max_boxes: int | None = None) -> torch.Tensor:
    """(1, N, 5) boxes from a JSON file ``{"boxes": [{"class": c, "box": [x0, y0, x1, y1]}, ...]}``
    with coordinates in [0, 1] (x to the right, y down); a malformed entry is a `DataError`
    naming the file and the entry."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ganforge.DataError(f"{path}: cannot read the boxes ({exc})") from None
    entries = doc.get("boxes") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ganforge.DataError(f'{path}: expected {{"boxes": [{{"class": c, "box": [x0, y0, x1, y1]}}, ...]}}')
    rows = []
    for i, entry in enumerate(entries):
        where = f"{path}: boxes[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"class", "box"}:
            raise ganforge.DataError(f'{where}: expected {{"class": c, "box": [x0, y0, x1, y1]}}, got {entry!r}')
        cls, box = entry["class"], entry["box"]
        if not isinstance(cls, int) or not 0 <= cls < num_labels:
            raise ganforge.DataError(f"{where}: class must be an integer id in [0, {num_labels}), got {cls!r}")
        if (not isinstance(box, list) or len(box) != 4 or not all(isinstance(v, (int, float)) for v in box)
                or not (0 <= box[0] < box[2] <= 1 and 0 <= box[1] < box[3] <= 1)):
            raise ganforge.DataError(f"{where}: box must be [x0, y0, x1, y1] with 0 <= x0 < x1 <= 1 and "
                                     f"0 <= y0 < y1 <= 1, got {box!r}")
        rows.append([float(cls), *map(float, box)])
    if max_boxes is not None and len(rows) > max_boxes:
        raise ganforge.DataError(f"{path}: {len(rows)} boxes, at most {max_boxes}")
    return torch.tensor(rows)[None]


@torch.no_grad()
def synthesize(generator: nn.Module, retrieval: BackgroundRetrieval, boxes: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """(retrieved (B, m, H, W) label maps, image (B, 3, H, W)) for ``boxes`` (B, N, 5)."""
    cond = retrieval.retrieve(Condition(boxes=boxes))
    return cond["retrieved"], generator(cond)


def palette(num_labels: int) -> torch.Tensor:
    """(K, 3) distinct colours in [0, 1], fixed for a given K (golden-angle hues)."""
    hue = torch.arange(num_labels, dtype=torch.float32) * (math.sqrt(5) - 1) / 2 % 1.0
    k = (torch.tensor([5.0, 3.0, 1.0]) + hue[:, None] * 6) % 6
    rgb = 1 - torch.clamp(torch.minimum(k, 4 - k), 0, 1)  # HSV with S = 1, V = 1
    return 0.25 + 0.7 * rgb


def colour_labels(labels: torch.Tensor, num_labels: int) -> torch.Tensor:
    """(..., 3, H, W) pictures in [-1, 1] of (..., H, W) label maps."""
    rgb = palette(num_labels).to(labels.device)[labels.long()]  # (..., H, W, 3)
    return rgb.movedim(-1, -3) * 2 - 1


def layout_picture(boxes: torch.Tensor, num_labels: int, size: tuple[int, int]) -> torch.Tensor:
    """(B, 3, H, W) the box layout: each box filled with its class colour on black (the
    later box on top where boxes overlap)."""
    layout = box_layout(boxes, num_labels, size)  # (B, K, H, W)
    covered = layout.amax(1, keepdim=True)
    ids = (layout * torch.arange(1, num_labels + 1, device=layout.device).view(1, -1, 1, 1)).argmax(1)
    return torch.where(covered > 0, colour_labels(ids, num_labels), torch.full_like(covered, -1.0))


def grid_rows(boxes: torch.Tensor, retrieved: torch.Tensor, image: torch.Tensor, num_labels: int) -> torch.Tensor:
    """The pictures of a ``boxes layout | retrieved backgrounds | output`` grid, row-major:
    (B * (m + 2), 3, H, W)."""
    size = tuple(image.shape[-2:])
    rows = [layout_picture(boxes, num_labels, size)[:, None], colour_labels(retrieved, num_labels),
            image.clamp(-1, 1)[:, None]]
    return torch.cat(rows, dim=1).flatten(0, 1)

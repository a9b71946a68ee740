"""Object crops from scene batches: what EdgeGAN trains on.

SketchyCOCO's foreground triplets are objects cut out of COCO by their segmentation, on a
white background, resized to 64 x 64, with their edge map (Sec. 4). From a scene batch
with ``instance`` and ``boxes`` (the synthetic world, COCO) the same triplet is made: the
square around the box of the largest instance (whose class ``class_label`` gives), the
object's pixels on white, and the outline of its mask as the edge map.
"""

from __future__ import annotations

import torch
from torchvision.ops import roi_align

from ganforge.condition import instance_edges
from ganforge.errors import ConditionMismatch


def square_boxes(boxes: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(B, 4) boxes (x0, y0, x1, y1) in [0, 1] -> squares in pixels around the same centre,
    side = the longer side (the object keeps its aspect ratio when resized)."""
    x0, y0, x1, y1 = (boxes[:, i] for i in range(4))
    cx, cy = (x0 + x1) / 2 * width, (y0 + y1) / 2 * height
    side = torch.maximum((x1 - x0) * width, (y1 - y0) * height).clamp(min=2.0)
    return torch.stack([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2], 1)


def crop(maps: torch.Tensor, squares: torch.Tensor, size: int) -> torch.Tensor:
    """Bilinear crops (B, C, size, size) of ``maps`` inside ``squares`` (pixels)."""
    rois = torch.cat([torch.arange(len(squares), device=maps.device, dtype=maps.dtype)[:, None],
                      squares.to(maps.dtype)], 1)
    return roi_align(maps, rois, size, spatial_scale=1.0, sampling_ratio=2, aligned=True)


def main_objects(instance: torch.Tensor) -> torch.Tensor:
    """(B,) instance id of the largest object of each scene (its class is ``class_label``)."""
    flat = instance.flatten(1)
    counts = torch.zeros(flat.shape[0], int(flat.max()) + 1, device=flat.device).scatter_add_(
        1, flat, torch.ones_like(flat, dtype=torch.float))
    counts[:, 0] = -1
    ids = counts.argmax(1)
    if bool((counts.gather(1, ids[:, None]) <= 0).any()):
        raise ConditionMismatch("edgegan crops: a scene in the batch has no object (instance ids all 0)")
    return ids


def object_triplets(image: torch.Tensor, instance: torch.Tensor, boxes: torch.Tensor,
                    size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(object image on white (B, C, size, size), outline strokes (B, 1, size, size) in {0, 1})
    of each scene's main object. ``boxes`` rows are ordered by instance id (id k -> row k-1)."""
    ids = main_objects(instance)
    rows = boxes[torch.arange(len(ids), device=boxes.device), ids - 1, 1:]
    squares = square_boxes(rows, *image.shape[-2:])
    mask = crop((instance == ids[:, None, None]).float()[:, None], squares, size) > 0.5
    obj = torch.where(mask, crop(image, squares, size), torch.ones((), dtype=image.dtype, device=image.device))
    outline = instance_edges(mask.long()) * mask  # the boundary pixels inside the object
    return obj, outline

"""The two layouts BachGAN works with (Li et al. 2020, Sec. 3 and the official data code).

* The *box layout* S: one channel per semantic class, 1 inside every box of that class
  (overlapping boxes of different classes light several channels, as the official
  multi-hot scatter does).
* A *retrieved candidate* with the boxes pasted in: the candidate's one-hot segmentation
  map, cleared inside every box and in every thing channel, with the box layout's thing
  channels written over it. So a candidate contributes only its background (stuff) and
  the foreground always comes from the user's boxes.

Both are plain tensor functions (no parameters), shared by the generator, the
discriminator, the retrieval and the applications.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

import ganforge
from ganforge import FieldSpec

FIELDS = (
    FieldSpec("retrieved", "nearest", "long", "B,M,H,W",
              "label maps of the M background candidates retrieved for the boxes (BachGAN)"),
    FieldSpec("layout", "nearest", "float", "B,K,H,W",
              "soft semantic layout, one channel per class (BachGAN's fused box + background layout)"),
)


def check_boxes(boxes: torch.Tensor, num_labels: int, where: str) -> None:
    """Boxes must be (B, N, 5) rows (class, x0, y0, x1, y1) with class in [-1, num_labels)."""
    if boxes.dim() != 3 or boxes.shape[-1] != 5:
        raise ganforge.DataError(f"{where}: condition field 'boxes' must be (B, N, 5), got {tuple(boxes.shape)}")
    cls = boxes[..., 0]
    if boxes.numel() and (float(cls.min()) < -1 or float(cls.max()) >= num_labels):
        raise ganforge.DataError(f"{where}: 'boxes' classes must lie in [-1, {num_labels}) (-1 pads), got "
                                 f"[{float(cls.min()):g}, {float(cls.max()):g}]")


def box_masks(boxes: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(B, N, H, W) float: 1 at the pixels whose centre lies inside box n (padding rows are
    all 0). Box edges in [0, 1] units, so a box from `boxes_from_instances` covers exactly
    the pixel rows and columns of its instance."""
    h, w = size
    ys = (torch.arange(h, device=boxes.device, dtype=boxes.dtype) + 0.5) / h
    xs = (torch.arange(w, device=boxes.device, dtype=boxes.dtype) + 0.5) / w
    x0, y0, x1, y1 = (boxes[..., i, None] for i in range(1, 5))
    inside_y = (ys >= y0) & (ys < y1)  # (B, N, H)
    inside_x = (xs >= x0) & (xs < x1)  # (B, N, W)
    valid = (boxes[..., 0] >= 0)[..., None, None]
    return (inside_y[..., :, None] & inside_x[..., None, :] & valid).to(boxes.dtype)


def box_layout(boxes: torch.Tensor, num_labels: int, size: tuple[int, int], where: str = "box layout"
               ) -> torch.Tensor:
    """S: (B, num_labels, H, W) float multi-hot map of the boxes (the union of the boxes of
    each class)."""
    boxes = boxes.float()
    check_boxes(boxes, num_labels, where)
    masks = box_masks(boxes, size)
    classes = F.one_hot(boxes[..., 0].clamp(min=0).long(), num_labels).to(masks.dtype)  # (B, N, K)
    return torch.einsum("bnk,bnhw->bkhw", classes, masks).clamp(max=1.0)


def thing_mask(things: Sequence[int] | None, boxes: torch.Tensor, num_labels: int) -> torch.Tensor:
    """(num_labels,) bool: the foreground (thing) classes. ``None`` takes the classes the
    batch's boxes carry (a dataset without a declared thing list)."""
    mask = torch.zeros(num_labels, dtype=torch.bool, device=boxes.device)
    if things is None:
        cls = boxes[..., 0].long()
        mask[cls[cls >= 0]] = True
    else:
        mask[list(things)] = True
    return mask


def paste_boxes(candidates: torch.Tensor, layout: torch.Tensor, things: torch.Tensor) -> torch.Tensor:
    """(B, M, K, H, W): each candidate's one-hot map with the boxes pasted in.

    :param candidates: (B, M, H, W) label ids of the retrieved segmentation maps.
    :param layout: (B, K, H, W) the box layout S.
    :param things: (K,) bool thing classes (`thing_mask`).
    """
    k = layout.shape[1]
    if candidates.numel() and (int(candidates.min()) < 0 or int(candidates.max()) >= k):
        raise ganforge.DataError(f"condition field 'retrieved' has ids in [{int(candidates.min())}, "
                                 f"{int(candidates.max())}] but the layout has {k} classes")
    b, m, h, w = candidates.shape  # contiguous (not channels-last) one-hot: convs read it fast
    onehot = ganforge.condition.onehot(candidates.reshape(b * m, h, w), k).view(b, m, k, h, w).to(layout.dtype)
    outside = 1.0 - layout.amax(1, keepdim=True)[:, None]  # (B, 1, 1, H, W): 0 inside any box
    return torch.where(things.view(1, 1, k, 1, 1), layout[:, None], onehot * outside)

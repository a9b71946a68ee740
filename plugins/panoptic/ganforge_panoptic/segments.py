"""Which pixels belong to one panoptic segment, at any resolution.

Every panoptic-aware layer asks one question: does pixel q carry the same panoptic id as
pixel p? The ids come from the condition's ``panoptic`` field (COCO ids) or, for datasets
that ship label and instance maps instead (SPADE's Cityscapes and COCO-Stuff layouts),
from the pair (label, instance): stuff (instance 0) is one segment per class, every
thing instance its own. Only equality of ids matters, so the two encodings are
interchangeable.

Maps are resized by integer indexing (the nearest-neighbour rule of ``F.interpolate``:
source index ``floor(i * in / out)``), exact for ids of any size; halving keeps the
top-left pixel of each 2x2 block, which the panoptic-aware upsampling relies on.
"""

from __future__ import annotations

import torch

from ganforge import Condition, DataInfo


def requirements(data: DataInfo) -> frozenset[str]:
    """``panoptic`` when the data provides it, else ``label`` + ``instance`` when it
    provides those; otherwise ``panoptic`` (so the config check names the missing field)."""
    if "panoptic" not in data.fields and {"label", "instance"} <= data.fields:
        return frozenset({"label", "instance"})
    return frozenset({"panoptic"})


def resize_ids(ids: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(B, H, W) integer map at ``size`` by nearest neighbour (index ``floor(i * H / h)``)."""
    h, w = ids.shape[-2:]
    oh, ow = size
    if (h, w) == (oh, ow):
        return ids
    rows = torch.arange(oh, device=ids.device) * h // oh
    cols = torch.arange(ow, device=ids.device) * w // ow
    return ids[:, rows][:, :, cols]


def segment_ids(cond: Condition, data: DataInfo, size: tuple[int, int]) -> torch.Tensor:
    """(B, h, w) long map of panoptic segment ids at ``size``."""
    if "panoptic" in cond:
        ids = cond["panoptic"].long()
    elif "instance" in cond and "label" in cond:
        classes = data.label_nc + int(data.contain_dontcare_label)
        ids = cond["label"].long() + max(classes, 1) * cond["instance"].long()
    else:
        raise KeyError(f"panoptic-aware layers need the condition field 'panoptic' (or 'label' and 'instance'); "
                       f"the condition has: {', '.join(sorted(cond)) or 'nothing'}")
    if ids.dim() != 3:
        raise ValueError(f"panoptic ids must be (B, H, W), got shape {tuple(ids.shape)}")
    return resize_ids(ids, tuple(size))

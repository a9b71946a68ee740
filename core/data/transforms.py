"""SPADE's spatial preprocessing, applied identically to an image and its maps.

The image is resized bicubically, id maps (labels, instances, panoptic ids) with
NEAREST only, so ids never blend. Modes (``preprocess``), as SPADE names them:

* ``resize_and_crop`` — resize to ``load_size`` x ``load_size``, random ``crop_size`` crop;
* ``scale_width_and_crop`` — scale the width to ``load_size`` keeping the aspect ratio,
  random ``crop_size`` square crop;
* ``fixed`` — resize to width ``crop_size``, height ``crop_size / aspect_ratio`` (Cityscapes);
* ``none`` — keep the size, rounded to a multiple of 32 as SPADE does.

Random choices use Python's ``random`` module, which PyTorch seeds in every worker.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from PIL import Image

from ganforge.errors import DataError

Preprocess = Literal["resize_and_crop", "scale_width_and_crop", "fixed", "none"]
ROUND_TO = 32  # SPADE's 'none' mode rounds sizes to this multiple


@dataclass(frozen=True)
class Spatial:
    """One sample's spatial transform: resize to ``size`` (W, H), crop ``box``, flip."""

    size: tuple[int, int]
    box: tuple[int, int, int, int]  # left, top, right, bottom in the resized image
    flip: bool


def resized_size(preprocess: Preprocess, size: tuple[int, int], load_size: int, crop_size: int,
                 aspect_ratio: float) -> tuple[int, int]:
    """(W, H) after the resize step, for an input of ``size`` (W, H)."""
    w, h = size
    if preprocess == "resize_and_crop":
        return load_size, load_size
    if preprocess == "scale_width_and_crop":
        return load_size, max(1, round(load_size * h / w))
    if preprocess == "fixed":
        return crop_size, round(crop_size / aspect_ratio)
    return max(ROUND_TO, round(w / ROUND_TO) * ROUND_TO), max(ROUND_TO, round(h / ROUND_TO) * ROUND_TO)


def output_size(preprocess: Preprocess, size: tuple[int, int], load_size: int, crop_size: int,
                aspect_ratio: float) -> tuple[int, int]:
    """(H, W) of the tensors a sample of input ``size`` (W, H) yields."""
    w, h = resized_size(preprocess, size, load_size, crop_size, aspect_ratio)
    if preprocess.endswith("_and_crop"):
        return crop_size, crop_size
    return h, w


def plan(preprocess: Preprocess, size: tuple[int, int], load_size: int, crop_size: int, aspect_ratio: float,
         flip: bool, where: object) -> Spatial:
    """Draw the transform of one sample; ``where`` (its file) names it in errors."""
    w, h = resized_size(preprocess, size, load_size, crop_size, aspect_ratio)
    if preprocess.endswith("_and_crop"):
        if w < crop_size or h < crop_size:
            raise DataError(f"{where}: resized to {w}x{h} by {preprocess!r}, smaller than crop_size {crop_size}")
        x, y = random.randint(0, w - crop_size), random.randint(0, h - crop_size)
        box = (x, y, x + crop_size, y + crop_size)
    else:
        box = (0, 0, w, h)
    return Spatial((w, h), box, flip and random.random() < 0.5)


def apply_image(img: Image.Image, t: Spatial) -> torch.Tensor:
    """(3, H, W) float in [-1, 1]."""
    if img.size != t.size:
        img = img.resize(t.size, Image.BICUBIC)
    img = img.crop(t.box)
    arr = np.asarray(img, dtype=np.float32) / 127.5 - 1.0
    if t.flip:
        arr = arr[:, ::-1]
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def resize_ids(ids: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(H, W) id map resized to ``size`` (W, H) with NEAREST, so ids never blend."""
    if (ids.shape[1], ids.shape[0]) == size:
        return ids
    img = Image.fromarray(ids.astype(np.int32)).resize(size, Image.NEAREST)  # mode "I"
    return np.asarray(img).astype(np.int64)


def apply_ids(ids: np.ndarray, t: Spatial) -> torch.Tensor:
    """(H, W) long id map, resized with NEAREST only."""
    ids = resize_ids(ids, t.size)
    left, top, right, bottom = t.box
    ids = ids[top:bottom, left:right]
    if t.flip:
        ids = ids[:, ::-1]
    return torch.from_numpy(np.ascontiguousarray(ids))

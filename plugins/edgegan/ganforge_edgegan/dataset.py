"""``edgegan_pairs``: the released EdgeGAN training data, as its TF loader reads it.

Layout: ``root/<split>/<class id>/*.png``, each picture 64 x 128 with the object's edge
map on the left half and the object image (on white) on the right half; the folder name
is the class id (0 .. num_classes - 1, SketchyCOCO's 14 foreground classes).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from pydantic import Field

import ganforge
from ganforge.data.io import list_images, read_rgb
from ganforge.errors import DataError


class PairsParams(ganforge.Params):
    root: str = Field(description="folder holding <split>/<class id>/*.png")
    split: str = Field("train", description="sub-folder of root (SketchyCOCO: train, test)")
    size: int = Field(64, ge=16, description="side each half is resized to (TF output_height)")
    num_classes: int = Field(14, ge=1, description="class folders 0 .. num_classes - 1 (TF num_classes)")


class EdgeImagePairs(ganforge.Dataset):
    """EdgeGAN's (edge | image) pictures in class folders: image, edge strokes, class_label."""

    Params = PairsParams
    provides = frozenset({"edge", "class_label"})

    def __init__(self, params: PairsParams):
        super().__init__(params)
        base = Path(params.root).expanduser() / params.split
        if not base.is_dir():
            raise DataError(f"{base}: split folder does not exist; expected root/<split>/<class id>/*.png")
        self.entries = []
        for folder in sorted(d for d in base.iterdir() if d.is_dir()):
            if not folder.name.isdigit() or int(folder.name) >= params.num_classes:
                raise DataError(f"{folder}: class folders must be ids 0 .. {params.num_classes - 1} (num_classes)")
            self.entries += [(p, int(folder.name)) for p in list_images(folder, "class")]
        if not self.entries:
            raise DataError(f"{base}: no images in its class folders")

    @classmethod
    def describe(cls, params: PairsParams) -> ganforge.DataInfo:
        return ganforge.DataInfo(fields=frozenset({"edge", "class_label"}), resolution=(params.size, params.size),
                                 num_classes=params.num_classes)

    def info(self) -> ganforge.DataInfo:
        return self.describe(self.params)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> dict:
        path, label = self.entries[index]
        pic = read_rgb(path)
        w, h = pic.size
        if w != 2 * h:
            raise DataError(f"{path}: expected an (edge | image) picture twice as wide as high, got {w}x{h}")
        s = self.params.size
        halves = [np.asarray(pic.crop(box).resize((s, s), Image.BICUBIC), np.float32) / 255.0
                  for box in ((0, 0, h, h), (h, 0, 2 * h, h))]
        edge = torch.from_numpy((halves[0].mean(2) < 0.5).astype(np.float32))[None]  # dark lines -> 1
        image = torch.from_numpy(halves[1]).permute(2, 0, 1) * 2 - 1
        return {"image": image, "edge": edge, "class_label": torch.tensor(label)}

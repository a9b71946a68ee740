"""The paper's two training sets as side-by-side pictures.

* ``edgegan_pairs`` — the released EdgeGAN data, as its TF loader reads it:
  ``root/<split>/<class id>/*.png``, each picture 64 x 128 with the object's edge map on
  the left half and the object image (on white) on the right half; the folder name is the
  class id (0 .. num_classes - 1, SketchyCOCO's 14 foreground classes).
* ``edgegan_scene_pairs`` — stage 2 in pix2pix's 'aligned' layout: ``root/<split>/*``,
  each picture A | B with the scene sketch composite (foreground image & background
  sketch) on the left and the scene image on the right.
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
        left, right = halves(path, (self.params.size, self.params.size), square=True)
        edge = (left.mean(0, keepdim=True) < 0).float()  # dark lines -> 1
        return {"image": right, "edge": edge, "class_label": torch.tensor(label)}


def halves(path: Path, size: tuple[int, int], square: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """The left and right halves of a side-by-side picture, (3, H, W) in [-1, 1] at ``size``;
    ``square``: each half must be square (EdgeGAN's 64 x 128 pictures)."""
    pic = read_rgb(path)
    w, h = pic.size
    if w % 2 or (square and w != 2 * h):
        want = "an (edge | image) picture twice as wide as high" if square else "an even width"
        raise DataError(f"{path}: expected {want}, got {w}x{h}")
    out = []
    for box in ((0, 0, w // 2, h), (w // 2, 0, w, h)):
        arr = np.asarray(pic.crop(box).resize((size[1], size[0]), Image.BICUBIC), np.float32) / 127.5 - 1
        out.append(torch.from_numpy(arr).permute(2, 0, 1))
    return out[0], out[1]


class ScenePairsParams(ganforge.Params):
    root: str = Field(description="folder holding <split>/*.png (A | B pictures)")
    split: str = Field("train", description="sub-folder of root")
    size: int = Field(256, ge=16, description="side each half is resized to (pix2pix --load_size without crop)")


class ScenePairs(ganforge.Dataset):
    """Stage-2 pairs in pix2pix's aligned layout: scene sketch composite | scene image."""

    Params = ScenePairsParams
    provides = frozenset({"scene_sketch"})

    def __init__(self, params: ScenePairsParams):
        super().__init__(params)
        self.paths = list_images(Path(params.root).expanduser() / params.split, "split")
        if not self.paths:
            raise DataError(f"{Path(params.root) / params.split}: no A | B pictures")

    @classmethod
    def describe(cls, params: ScenePairsParams) -> ganforge.DataInfo:
        return ganforge.DataInfo(fields=frozenset({"scene_sketch"}), resolution=(params.size, params.size))

    def info(self) -> ganforge.DataInfo:
        return self.describe(self.params)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict:
        sketch, image = halves(self.paths[index], (self.params.size, self.params.size))
        return {"image": image, "scene_sketch": sketch}

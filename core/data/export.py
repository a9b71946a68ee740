"""Write the synthetic world to disk in each published layout, so every layout loader can
be tested end to end (and a paper's original code can be pointed at synthetic data).

Every file is written atomically (temporary file, fsync, rename). Images are PNG by
default so that a round trip is lossless; ``image_format="jpg"`` writes JPEG (quality 95)
as the real archives do. Label ids are written as each layout stores them (the world's
class k is ADE20K file id k, so class 0 plays 'other'; Cityscapes encodes instances as
``class * 1000 + k`` ...).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Callable, Literal

import numpy as np
import torch
from PIL import Image

from ganforge.files import atomic_write_bytes

from .ops import ids_to_rgb, panoptic_ids
from .synthetic import DOMAINS, SyntheticWorld

Layout = Literal["paired_folders", "class_folders", "coco_panoptic", "coco_stuff", "cityscapes", "ade20k",
                 "celebamask_hq", "deepfashion"]
DEFAULT_SPLIT = {"paired_folders": "", "class_folders": "train", "coco_panoptic": "train2017", "coco_stuff": "train",
                 "cityscapes": "train", "ade20k": "training", "celebamask_hq": "train", "deepfashion": "train"}
# the most label ids each layout's loader accepts at its paper's label_nc
MAX_CLASSES = {"paired_folders": 255, "cityscapes": 34, "ade20k": 151, "celebamask_hq": 19, "deepfashion": 8,
               "coco_panoptic": 255, "coco_stuff": 182, "class_folders": 10 ** 9}
NEEDS = {"class_folders": ("domain",), "coco_panoptic": ("label", "instance"), "cityscapes": ("label", "instance"),
         "paired_folders": ("label", "instance"), "coco_stuff": ("label", "instance")}


def _save(array: np.ndarray, path: Path) -> None:
    buf = io.BytesIO()
    fmt = "JPEG" if path.suffix == ".jpg" else "PNG"
    Image.fromarray(array).save(buf, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    atomic_write_bytes(path, buf.getvalue())


def _rgb(sample: dict) -> np.ndarray:
    return ((sample["image"].permute(1, 2, 0).numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)


def export_synthetic(dataset: SyntheticWorld, root: str | Path, layout: Layout, n: int, split: str | None = None,
                     image_format: Literal["png", "jpg"] = "png") -> Path:
    """Write samples ``0 .. n-1`` of ``dataset`` under ``root`` in ``layout``; returns ``root``.

    :param split: the split folder to write (default: the layout's training split).
    """
    if layout not in DEFAULT_SPLIT:
        raise ValueError(f"unknown layout {layout!r}; layouts: {', '.join(DEFAULT_SPLIT)}")
    nc = len(dataset.classes)
    if nc > MAX_CLASSES[layout]:
        raise ValueError(f"{layout} holds at most {MAX_CLASSES[layout]} label ids but the world has {nc} classes; "
                         "enable fewer with the 'stuff' / 'things' params")
    root, split = Path(root), DEFAULT_SPLIT[layout] if split is None else split
    needs = NEEDS.get(layout, ("label",))
    missing = [f for f in needs if f not in dataset.params.fields]
    if missing:
        raise ValueError(f"exporting to {layout} needs the fields {missing}; the world has {dataset.params.fields}")
    writer = _WRITERS[layout]
    state: dict = {}
    for i in range(n):
        writer(root, split, i, dataset[i], f".{image_format}", dataset, state)
    if layout == "coco_panoptic":
        _finish_coco(root, split, dataset, state)
    return root


def _paired(root, split, i, s, ext, world, state):
    _save(_rgb(s), root / "images" / f"{i:06d}{ext}")
    _save(s["label"].numpy().astype(np.uint8), root / "labels" / f"{i:06d}.png")
    _save(s["instance"].numpy().astype(np.uint16), root / "instances" / f"{i:06d}.png")


def _coco_stuff(root, split, i, s, ext, world, state):
    _save(_rgb(s), root / f"{split}_img" / f"{i:012d}{ext}")
    _save(s["label"].numpy().astype(np.uint8), root / f"{split}_label" / f"{i:012d}.png")
    _save(s["instance"].numpy().astype(np.uint16), root / f"{split}_inst" / f"{i:012d}.png")


def _class_folders(root, split, i, s, ext, world, state):
    d = int(s["domain"])
    # the index prefix keeps sorted folder order equal to the domain index
    _save(_rgb(s), root / split / f"{d}_{DOMAINS[d].name}" / f"{i:06d}{ext}")


def _cityscapes(root, split, i, s, ext, world, state):
    stem = f"synthetic_{i:06d}_000019"
    label, inst = s["label"].numpy(), s["instance"].numpy()
    _save(_rgb(s), root / "leftImg8bit" / split / "synthetic" / f"{stem}_leftImg8bit.png")
    gt = root / "gtFine" / split / "synthetic"
    _save(label.astype(np.uint8), gt / f"{stem}_gtFine_labelIds.png")
    _save(np.where(inst > 0, label * 1000 + inst, label).astype(np.uint16), gt / f"{stem}_gtFine_instanceIds.png")


def _ade20k(root, split, i, s, ext, world, state):
    stem = f"ADE_{'train' if split == 'training' else 'val'}_{i + 1:08d}"
    _save(_rgb(s), root / "images" / split / f"{stem}{ext}")
    _save(s["label"].numpy().astype(np.uint8), root / "annotations" / split / f"{stem}.png")  # class 0 is "other"


def _celebamask_hq(root, split, i, s, ext, world, state):
    _save(_rgb(s), root / split / "images" / f"{i}{ext}")
    _save(s["label"].numpy().astype(np.uint8), root / split / "labels" / f"{i}.png")


def _deepfashion(root, split, i, s, ext, world, state):
    _save(_rgb(s), root / split / f"{i:06d}{ext}")
    _save(s["label"].numpy().astype(np.uint8), root / f"cihp_{split}_mask" / f"{i:06d}.png")


def _coco(root, split, i, s, ext, world, state):
    name = f"{i:012d}"
    panoptic = panoptic_ids(s["label"].numpy(), s["instance"].numpy())
    _save(_rgb(s), root / split / f"{name}{ext}")
    _save(ids_to_rgb(panoptic), root / "annotations" / f"panoptic_{split}" / f"{name}.png")
    h, w = panoptic.shape
    segs = world.segments_info(torch.from_numpy(panoptic))
    state.setdefault("images", []).append({"id": i, "file_name": f"{name}{ext}", "width": w, "height": h})
    state.setdefault("annotations", []).append({"image_id": i, "file_name": f"{name}.png", "segments_info": segs})


def _finish_coco(root, split, world, state):
    categories = [{"id": k + 1, "name": c.name, "supercategory": "thing" if c.isthing else "stuff",
                   "isthing": int(c.isthing)} for k, c in enumerate(world.classes)]
    doc = {"info": {"description": "ganforge synthetic world"}, "images": state.get("images", []),
           "annotations": state.get("annotations", []), "categories": categories}
    atomic_write_bytes(root / "annotations" / f"panoptic_{split}.json", json.dumps(doc).encode())


_WRITERS: dict[str, Callable] = {
    "paired_folders": _paired, "class_folders": _class_folders, "coco_panoptic": _coco, "coco_stuff": _coco_stuff,
    "cityscapes": _cityscapes, "ade20k": _ade20k, "celebamask_hq": _celebamask_hq, "deepfashion": _deepfashion,
}

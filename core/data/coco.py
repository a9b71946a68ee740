"""COCO panoptic segmentation, read into label, instance, panoptic and box fields.

Layout (as the official archives extract)::

    root/annotations/panoptic_<split>.json     images, annotations (segments_info), categories
    root/annotations/panoptic_<split>/*.png    segment ids: id = R + 256 G + 256^2 B
    root/<split>/*.jpg                          the images

Category ids become contiguous labels in sorted id order (133 for COCO panoptic);
unlabelled pixels (id 0, COCO's "void") become the don't-care label ``label_nc``.
Thing segments are numbered 1, 2, ... in ``segments_info`` order in ``instance``;
``boxes`` are derived from the transformed instance pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pydantic import Field

from ganforge.errors import DataError

from .base import Entry, LayoutParams, SegmentationDataset
from .io import read_rgb_ids
from .ops import rgb_to_ids


class COCOPanopticParams(LayoutParams):
    """COCO panoptic with SPADE's COCO preprocessing."""

    split: str = Field("train2017", description="train2017 / val2017: names the json, PNG and image folders")
    contain_dontcare_label: bool = Field(True, description="void pixels become label_nc (else they are an error)")
    max_boxes: int = Field(8, ge=1, description="rows of 'boxes': the first thing instances (LostGAN keeps <= 8)")


class COCOPanoptic(SegmentationDataset):
    """COCO panoptic: panoptic ids with their segments, semantic labels, instances, boxes."""

    Params = COCOPanopticParams
    provides = frozenset({"label", "instance", "panoptic", "boxes"})
    layout_doc = "root/annotations/panoptic_<split>.json, root/annotations/panoptic_<split>/*.png, root/<split>/*"

    def scan(self) -> list[Entry]:
        split = self.params.split
        path = self.root / "annotations" / f"panoptic_{split}.json"
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            images = {im["id"]: im["file_name"] for im in doc["images"]}
            categories = sorted(doc["categories"], key=lambda c: c["id"])
            self._label_of = {c["id"]: i for i, c in enumerate(categories)}
            self._isthing = {c["id"]: bool(c.get("isthing", 0)) for c in categories}
            self.categories = categories
            entries = [self._entry(ann, images, path) for ann in doc["annotations"]]
        except DataError:
            raise
        except FileNotFoundError:
            raise DataError(f"{path}: annotation file does not exist; expected {self.layout_doc}") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{path}: not a COCO panoptic annotation file ({type(exc).__name__}: {exc})") from None
        return sorted(entries, key=lambda e: e.image.name)

    def _entry(self, ann: dict, images: dict, path: Path) -> Entry:
        segments = ann["segments_info"]
        for seg in segments:
            if seg["category_id"] not in self._label_of:
                raise DataError(f"{path}: segment {seg['id']} of {ann['file_name']} has category "
                                f"{seg['category_id']}, which is not in 'categories'")
        split = self.params.split
        image = self.root / split / images[ann["image_id"]]
        png = self.root / "annotations" / f"panoptic_{split}" / ann["file_name"]
        return Entry(image, {"panoptic": png}, {"segments": segments})

    @property
    def label_nc(self) -> int:
        return len(self.categories)

    def fields(self) -> frozenset[str]:
        return frozenset({"label", "instance", "panoptic", "boxes"})

    def read_maps(self, entry: Entry) -> dict[str, np.ndarray]:
        png = entry.maps["panoptic"]
        panoptic = rgb_to_ids(read_rgb_ids(png))
        seg_ids, inverse = np.unique(panoptic, return_inverse=True)
        by_id = {s["id"]: s for s in entry.meta["segments"]}
        thing_number = {s["id"]: k + 1 for k, s in enumerate(
            s for s in entry.meta["segments"] if self._isthing[s["category_id"]])}
        label_lut = np.empty(len(seg_ids), np.int64)
        instance_lut = np.zeros(len(seg_ids), np.int64)
        for k, seg in enumerate(seg_ids.tolist()):
            if seg == 0:
                label_lut[k] = self.label_nc if self.params.contain_dontcare_label else -1
                continue
            if seg not in by_id:
                raise DataError(f"{png}: segment id {seg} is not in the segments_info of {entry.image.name}")
            label_lut[k] = self._label_of[by_id[seg]["category_id"]]
            instance_lut[k] = thing_number.get(seg, 0)
        inverse = inverse.reshape(panoptic.shape)
        label = self.check_labels(label_lut[inverse], png)
        return {"label": label, "instance": instance_lut[inverse], "panoptic": panoptic}

"""The one loader behind every on-disk layout: scan once, then per sample read the image
and its maps, check them, apply one spatial transform to all, and skip-and-count or raise
on bad files.

A layout subclass only says where the files are (`LayoutDataset.scan`) and how its raw
ids map to ganforge's (``label_ids`` / ``instance_ids``, or `LayoutDataset.read_maps`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from pydantic import Field

from ganforge.errors import DataError
from ganforge.interfaces import DataInfo, Dataset, Params

from . import transforms
from .io import image_size, read_ids, read_rgb
from .ops import boxes_from_instances


class LayoutParams(Params):
    """What every layout shares: where the data is, SPADE's preprocessing, error policy."""

    root: str = Field(description="dataset root folder")
    split: str = Field("train", description="which split to read (layout-specific folder names)")
    load_size: int = Field(286, ge=1, description="resize target before cropping (SPADE's load_size)")
    crop_size: int = Field(256, ge=1, description="final size of crops (SPADE's crop_size)")
    preprocess: transforms.Preprocess = Field("resize_and_crop", description="SPADE's preprocess_mode")
    aspect_ratio: float = Field(1.0, gt=0, description="width / height for preprocess 'fixed'")
    flip: bool = Field(True, description="random horizontal flips (turn off for evaluation)")
    on_error: Literal["raise", "skip"] = Field("raise", description="bad sample: raise DataError, or skip and count it")
    max_samples: int | None = Field(None, ge=1, description="use only the first N samples (SPADE's max_dataset_size)")


class SegmentationParams(LayoutParams):
    """Layouts with semantic label maps."""

    label_nc: int = Field(ge=1, description="number of semantic classes, without the don't-care label")
    contain_dontcare_label: bool = Field(False, description="ids equal to 255 (SPADE) are 'don't care' -> label_nc")
    no_instance: bool = Field(True, description="the layout has no instance maps, or ignore them")
    max_boxes: int = Field(0, ge=0, description="with instances: add 'boxes' padded to this many rows (0 = none)")


@dataclass(frozen=True)
class Entry:
    """One sample's files: the image, its maps by field name, and per-sample metadata."""

    image: Path
    maps: dict[str, Path] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)


class LayoutDataset(Dataset):
    """Base of every on-disk layout. Subclasses implement `scan`; samples are dicts with
    ``image`` (3, H, W) in [-1, 1] and the maps the layout has, each (H, W) long.

    With ``on_error: skip`` a bad sample is replaced by the next good one and never read
    again; ``num_skipped`` counts the bad samples and ``errors`` maps each one's image
    path to its problem (per process: each DataLoader worker counts its own).
    """

    Params = LayoutParams
    layout_doc = ""  # what `scan` expects, quoted when nothing is found
    rescale_maps = False  # maps at another scale of the image (same aspect) are resized, not an error

    def __init__(self, params: LayoutParams):
        super().__init__(params)
        self.root = Path(params.root).expanduser()
        if not self.root.is_dir():
            raise DataError(f"{self.root}: dataset root does not exist")
        try:
            entries = self.scan()
        except OSError as exc:  # an unreadable folder or file (permissions, I/O error)
            raise DataError(f"{exc.filename or self.root}: cannot read the dataset ({exc.strerror or exc})") from None
        if params.max_samples is not None:
            entries = entries[: params.max_samples]
        if not entries:
            raise DataError(f"{self.root}: no samples found for split {params.split!r}; expected {self.layout_doc}")
        self.entries: list[Entry] = entries
        self.errors: dict[str, str] = {}
        self._bad: set[int] = set()

    # -- what a layout defines -----------------------------------------------------
    def scan(self) -> list[Entry]:  # pragma: no cover - abstract
        raise NotImplementedError

    def fields(self) -> frozenset[str]:
        """The Condition fields each sample holds."""
        return frozenset()

    def read_maps(self, entry: Entry) -> dict[str, np.ndarray]:
        """(H, W) int64 maps of one sample, at the image's resolution."""
        return {name: self.decode(name, path) for name, path in entry.maps.items()}

    def decode(self, name: str, path: Path) -> np.ndarray:
        return read_ids(path)

    def extras(self, entry: Entry, sample: dict) -> None:
        """Add per-sample fields that are not maps (a domain index); default none."""

    # -- the shared pipeline ---------------------------------------------------------
    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> dict:
        n = len(self.entries)
        if not 0 <= index < n:
            raise IndexError(f"index {index} outside [0, {n})")
        for k in range(n):
            j = (index + k) % n
            if j in self._bad:
                continue
            try:
                return self.load(self.entries[j])
            except DataError as exc:
                if self.params.on_error == "raise":
                    raise
                self._bad.add(j)
                self.errors[str(self.entries[j].image)] = str(exc)
        example = next(iter(self.errors.values()))
        raise DataError(f"{self.root}: every one of the {n} samples failed to load, e.g. {example}")

    @property
    def num_skipped(self) -> int:
        """How many distinct samples were found bad and are skipped from now on."""
        return len(self._bad)

    def load(self, entry: Entry) -> dict:
        p = self.params
        img = read_rgb(entry.image)
        maps = self.read_maps(entry)
        for name, ids in maps.items():
            h, w = ids.shape
            if (h, w) == (img.height, img.width):
                continue
            if self.rescale_maps and h * img.width == w * img.height:
                maps[name] = transforms.resize_ids(ids, img.size)
                continue
            source = entry.maps.get(name, entry.image)
            raise DataError(f"{source}: {name} map is {w}x{h} but its image {entry.image} is {img.width}x{img.height}")
        t = transforms.plan(p.preprocess, img.size, p.load_size, p.crop_size, p.aspect_ratio, p.flip, entry.image)
        sample = {"image": transforms.apply_image(img, t)}
        for name, ids in maps.items():
            sample[name] = transforms.apply_ids(ids, t)
        boxes = self.boxes(sample) if getattr(p, "max_boxes", 0) else None
        if boxes is not None:
            sample["boxes"] = torch.from_numpy(boxes)
        self.extras(entry, sample)
        return sample

    def boxes(self, sample: dict) -> np.ndarray | None:
        """The sample's (max_boxes, 5) box rows from its transformed maps (None: the layout
        gives none): by default one per instance id > 0."""
        if "instance" not in sample:
            return None
        return boxes_from_instances(sample["label"].numpy(), sample["instance"].numpy(), self.params.max_boxes)

    def info(self) -> DataInfo:
        p = self.params
        size = self._first_size()
        resolution = transforms.output_size(p.preprocess, size, p.load_size, p.crop_size, p.aspect_ratio)
        return DataInfo(fields=self.fields(), image_channels=3, resolution=resolution, **self.info_extra())

    def info_extra(self) -> dict:
        return {}

    def _first_size(self) -> tuple[int, int]:
        """(W, H) of the first sample whose image header reads; with ``on_error: skip`` the
        unreadable ones before it are skipped and counted as in `__getitem__`."""
        for j, entry in enumerate(self.entries):
            if j in self._bad:
                continue
            try:
                return image_size(entry.image)
            except DataError as exc:
                if self.params.on_error == "raise":
                    raise
                self._bad.add(j)
                self.errors[str(entry.image)] = str(exc)
        raise DataError(f"{self.root}: no sample's image can be read, e.g. {next(iter(self.errors.values()))}")

    @staticmethod
    def resolution_from_params(params: LayoutParams) -> tuple[int, int] | None:
        """The output (H, W) when the preprocessing fixes it (crops, 'fixed'), else None."""
        if not (params.preprocess.endswith("_and_crop") or params.preprocess == "fixed"):
            return None
        nominal = (params.load_size, params.load_size)  # ignored by these modes
        return transforms.output_size(params.preprocess, nominal, params.load_size, params.crop_size,
                                      params.aspect_ratio)


class SegmentationDataset(LayoutDataset):
    """Layouts with label maps (and optional instance maps), checked against ``label_nc``."""

    Params = SegmentationParams
    provides = frozenset({"label", "instance", "boxes"})  # at most; `fields` says what a config gives

    @property
    def label_nc(self) -> int:
        return self.params.label_nc

    def fields(self) -> frozenset[str]:
        return self.fields_of(self.params)

    @classmethod
    def fields_of(cls, params: SegmentationParams) -> frozenset[str]:
        """The Condition fields a config of this layout gives (boxes come from instances)."""
        if params.no_instance:
            return frozenset({"label"})
        return frozenset({"label", "instance"} | ({"boxes"} if params.max_boxes else set()))

    def info_extra(self) -> dict:
        return {"label_nc": self.label_nc, "contain_dontcare_label": self.params.contain_dontcare_label}

    @classmethod
    def describe(cls, params: SegmentationParams) -> DataInfo | None:
        """The DataInfo from params alone, so that `ganforge params` counts a paper's networks
        without its dataset on disk; None when the output size depends on the files
        (``preprocess`` 'none' or 'scale_width...' without a crop) or label_nc on an
        annotation file (COCO panoptic)."""
        if not isinstance(params, SegmentationParams):
            return None
        resolution = cls.resolution_from_params(params)
        if resolution is None:
            return None
        return DataInfo(fields=cls.fields_of(params), image_channels=3, resolution=resolution,
                        label_nc=params.label_nc, contain_dontcare_label=params.contain_dontcare_label)

    def decode(self, name: str, path: Path) -> np.ndarray:
        raw = read_ids(path)
        return self.label_ids(raw, path) if name == "label" else self.instance_ids(raw, path)

    def label_ids(self, raw: np.ndarray, path: Path) -> np.ndarray:
        """SPADE's rule: 255 is "don't care" and becomes ``label_nc`` when the dataset has
        that label; every other id must lie in [0, label_nc)."""
        ids = raw.copy()
        if self.params.contain_dontcare_label:
            ids[raw == 255] = self.label_nc
        return self.check_labels(ids, path)

    def check_labels(self, ids: np.ndarray, path: Path) -> np.ndarray:
        """Raise `DataError` naming the file, the first bad id and where it is."""
        nc, dontcare = self.label_nc, self.params.contain_dontcare_label
        bad = (ids < 0) | (ids >= nc + int(dontcare))
        if bad.any():
            y, x = np.argwhere(bad)[0]
            allowed = f"[0, {nc})" + (f" or the don't-care id {nc}" if dontcare else "")
            raise DataError(f"{path}: label id {int(ids[y, x])} at (x={x}, y={y}) is outside {allowed}; "
                            f"label_nc is {nc} ({int(bad.sum())} bad pixels)")
        return ids

    def instance_ids(self, raw: np.ndarray, path: Path) -> np.ndarray:
        return raw

"""The official ObjectDataset layout (controllable_gan/datasets.py) on the core's layout loader.

``root/<sub_dir>/<split>/<scene>/*.png`` for each of ``sub_dirs``: one folder per number of
objects in the scene, read from the last character of the sub_dir's first '_'-token
(``car2_bg1``: 2 cars, with background). A folder of 0 objects holds pure backgrounds, label 1;
every other folder label 0. The label is the Condition field ``domain``, which the
discriminator reads (``sngan_resnet`` with ``num_labels: 2``) so that it judges backgrounds
and scenes with objects separately, as the official one does with ``nlabels: 2``.

Preprocessing as the official get_dataloader: resize to ``img_size`` (here ``load_size`` =
``crop_size`` = 64, no crop, no flip), ToTensor, dequantisation noise U[0, 1/128) in [0, 1]
units, then to [-1, 1]. One deviation: the core resizes bicubically, torchvision's Resize
bilinearly; the released renders are square and the sizes agree.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import ClassVar, Literal

import numpy as np
import torch
from pydantic import Field

from ganforge.data import LayoutDataset, LayoutParams
from ganforge.data import transforms
from ganforge.data.base import Entry
from ganforge.errors import DataError
from ganforge.interfaces import DataInfo

BACKGROUND = 1  # label of pure-background folders (0 objects); scenes with objects are 0


def num_objects(sub_dir: str) -> int:
    """Objects per scene of a folder: the last character of its name's first '_'-token."""
    token = sub_dir.rstrip("/").rsplit("/", 1)[-1].split("_")[0]
    if not token[-1:].isdigit():
        raise ValueError(f"sub_dir {sub_dir!r}: the first '_'-token {token!r} must end in the number of objects "
                         "(official names: car0_bg1 ... car3_bg1)")
    return int(token[-1])


class ObjectFoldersParams(LayoutParams):
    """The official data options (configs/default.yaml: img_size 64, nlabels 1)."""

    root: str = Field(description="the folder holding the sub_dirs (official data.root_dir)")
    sub_dirs: tuple[str, ...] = Field(min_length=1, description="folders under root, e.g. [car0_bg1, car1_bg1]")
    split: str = Field("train", description="folder under each sub_dir (official: train, val)")
    nlabels: Literal[1, 2] = Field(1, description="1: drop pure-background folders; 2: keep them as domain 1")
    load_size: int = Field(64, ge=1, description="official img_size")
    crop_size: int = Field(64, ge=1, description="official img_size (no crop)")
    flip: bool = Field(False, description="the official loader does not flip")
    dequantize: bool = Field(True, description="add the official U[0, 1/128) noise (in [0, 1] units)")
    seed: int = Field(0, ge=0, description="seed of the duplicates that balance the labels (nlabels 2, train)")


class ObjectFolders(LayoutDataset):
    """Scenes of 0..K objects, one folder per count, labelled pure background (1) or not (0).

    With ``nlabels: 2`` on the train split the smaller label group is repeated (seeded draws,
    with replacement only where it has to be) until both are equally large, as the official
    make_equal_label does, and a missing background folder is an error. The duplicates come
    last, so ``max_samples`` (applied after the scan) cuts them first.
    """

    Params: ClassVar = ObjectFoldersParams
    provides: ClassVar = frozenset({"domain"})
    layout_doc = "root/<sub_dir>/<split>/<scene>/*.png for every sub_dir"

    def scan(self) -> list[Entry]:
        p = self.params
        entries: list[Entry] = []
        for sub in p.sub_dirs:
            folder = self.root / sub
            if not folder.is_dir():
                raise DataError(f"{folder}: sub_dir {sub!r} does not exist; expected {self.layout_doc}")
            try:
                label = BACKGROUND if num_objects(sub) == 0 else 0
            except ValueError as exc:
                raise DataError(f"{folder}: {exc}") from None
            if label == BACKGROUND and p.nlabels == 1:
                continue
            files = sorted((folder / p.split).glob("*/*.png"))
            if not files:
                raise DataError(f"{folder / p.split}: no images; expected {self.layout_doc}")
            entries += [Entry(f, meta={"domain": label}) for f in files]
        if p.nlabels == 2 and p.split == "train":
            if not any(e.meta["domain"] == BACKGROUND for e in entries):
                raise DataError(f"{self.root}: nlabels 2 needs a pure-background folder (0 objects, e.g. car0_bg1) "
                                f"among sub_dirs {list(p.sub_dirs)}")
            entries += self.balance(entries)
        return entries

    def balance(self, entries: list[Entry]) -> list[Entry]:
        """Duplicates of the smaller label group that make both groups equally large."""
        rng = np.random.default_rng(self.params.seed)
        counts = Counter(e.meta["domain"] for e in entries)
        most = max(counts.values())
        extra: list[Entry] = []
        for label in sorted(counts):
            group = [e for e in entries if e.meta["domain"] == label]
            need = most - len(group)
            if need:
                extra += [group[i] for i in rng.choice(len(group), need, replace=need > len(group))]
        return extra

    def fields(self) -> frozenset[str]:
        return frozenset({"domain"})

    def info_extra(self) -> dict:
        return {"num_domains": self.params.nlabels}

    def extras(self, entry: Entry, sample: dict) -> None:
        sample["domain"] = torch.tensor(entry.meta["domain"])
        if self.params.dequantize:  # drawn from Python's random, as the core's crops and flips
            gen = torch.Generator().manual_seed(random.getrandbits(63))
            sample["image"] = sample["image"] + torch.rand(sample["image"].shape, generator=gen) / 64

    @classmethod
    def describe(cls, params: ObjectFoldersParams) -> DataInfo | None:
        """The DataInfo from params alone (configs check without the data on disk); None when
        the output size depends on the files."""
        if not (params.preprocess.endswith("_and_crop") or params.preprocess == "fixed"):
            return None
        size = transforms.output_size(params.preprocess, (params.load_size,) * 2, params.load_size,
                                      params.crop_size, params.aspect_ratio)
        return DataInfo(fields=frozenset({"domain"}), image_channels=3, resolution=size, num_domains=params.nlabels)

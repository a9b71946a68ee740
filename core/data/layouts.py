"""The published on-disk layouts, each as the paper's code reads it.

=================  ===========================================================================
name               layout (``root`` = the ``root`` param)
=================  ===========================================================================
paired_folders     SPADE "custom": ``root/<image_dir>/*``, ``root/<label_dir>/*.png``, optional
                   ``root/<instance_dir>/*.png``, paired by file stem
class_folders      StarGAN v2 (AFHQ, CelebA-HQ): ``root/<split>/<domain>/*.jpg``, domains sorted
cityscapes         ``root/leftImg8bit/<split>/<city>/<x>_leftImg8bit.png`` and
                   ``root/gtFine/<split>/<city>/<x>_gtFine_{labelIds,instanceIds}.png``
coco_stuff         SPADE's: ``root/<split>_img/*.jpg``, ``root/<split>_label/*.png``,
                   ``root/<split>_inst/*.png`` (182 classes, 255 = don't care)
ade20k             ``root`` = ADEChallengeData2016: ``images/<split>/*.jpg``,
                   ``annotations/<split>/*.png`` (file ids as official SPADE reads them, 0 = other)
celebamask_hq      SEAN's: ``root/<split>/images/*.jpg``, ``root/<split>/labels/*.png`` (19 classes)
deepfashion        SMIS's: ``root/<split>/*.jpg``, ``root/cihp_<split>_mask/*.png`` (8 parsing classes)
=================  ===========================================================================

COCO panoptic lives in `ganforge.data.coco`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from pydantic import Field, model_validator

from ganforge.errors import DataError
from ganforge.interfaces import DataInfo

from .base import Entry, LayoutDataset, LayoutParams, SegmentationDataset, SegmentationParams
from .io import IMAGE_EXTENSIONS, list_images
from .ops import boxes_from_components, boxes_from_instances
from .transforms import Preprocess


def pair_by_stem(image_dir: Path, map_dirs: dict[str, Path]) -> list[Entry]:
    """One `Entry` per image, with the map of the same file stem from each map folder;
    an image or map without its partner is an error naming the stems."""
    images = {p.stem: p for p in list_images(image_dir, "image")}
    maps = {name: {p.stem: p for p in list_images(d, name)} for name, d in map_dirs.items()}
    for name, found in maps.items():
        lonely = sorted(set(images) ^ set(found))
        if lonely:
            raise DataError(f"{map_dirs[name]}: {name} maps and images in {image_dir} do not pair by file name; "
                            f"unpaired stems: {', '.join(lonely[:5])}{' ...' if len(lonely) > 5 else ''}")
    return [Entry(images[s], {name: found[s] for name, found in maps.items()}) for s in sorted(images)]


# -- SPADE "custom" and the layouts that are paired folders with fixed names -------------


class PairedFoldersParams(SegmentationParams):
    """SPADE's custom dataset mode (its defaults)."""

    image_dir: str = Field("images", description="images folder (relative to root, or absolute)")
    label_dir: str = Field("labels", description="label maps folder")
    instance_dir: str | None = Field(None, description="instance maps folder (needs no_instance: false)")

    @model_validator(mode="after")
    def _instances(self):
        if not self.no_instance and self.instance_dir is None:
            raise ValueError("no_instance is false but instance_dir is not set")
        return self


class PairedFolders(SegmentationDataset):
    """SPADE's custom mode: label, image and optional instance folders paired by file stem."""

    Params = PairedFoldersParams
    layout_doc = "root/<image_dir>/<stem>.<ext> paired with root/<label_dir>/<stem>.png"

    def folders(self) -> tuple[Path, dict[str, Path]]:
        p = self.params
        maps = {"label": self.root / p.label_dir}
        if not p.no_instance:
            maps["instance"] = self.root / p.instance_dir
        return self.root / p.image_dir, maps

    def scan(self) -> list[Entry]:
        return pair_by_stem(*self.folders())


# ADE20K's 35 "stuff" classes (0-based, i.e. file id - 1), from sceneparsing's
# objectSplit35-115.mat (stuffOrobject != 2); the other 115 are objects.
ADE20K_STUFF = (0, 1, 2, 3, 5, 6, 9, 11, 13, 16, 21, 25, 26, 28, 29, 46, 48, 51, 52, 54, 59, 60, 61, 68, 79, 84,
                91, 94, 96, 101, 105, 109, 113, 128, 140)
ADE20K_MIN_BOX_AREA = 30  # BachGAN drops components whose box spans (rows-1)*(cols-1) < 30 pixels


class ADE20KParams(SegmentationParams):
    """ADE20K options: 150 classes plus 'other' = 151 label channels, as the official code."""

    split: Literal["training", "validation"] = Field("training", description="images/<split>, annotations/<split>")
    label_nc: int = Field(150, ge=1, description="ADE20K's 150 scene-parsing classes")
    contain_dontcare_label: bool = Field(True, description="'other' is a 151st label channel")
    ids: Literal["file", "shifted"] = Field(
        "file", description="'file': the file ids as they are, 0 = 'other' (what SPADE, SMIS and CoCosNet's "
                            "networks read); 'shifted': id - 1, 'other' -> 150 (BachGAN's box and background "
                            "channels)")
    max_boxes: int = Field(0, ge=0, description="add 'boxes': one per 8-connected component of each object class "
                                                "(BachGAN's ADE20K boxes), padded to this many rows (0 = none)")

    @model_validator(mode="after")
    def _no_instances(self):
        if not self.no_instance:
            raise ValueError("ADE20K has no instance maps: no_instance must stay true")
        return self


class ADE20K(PairedFolders):
    """ADE20K scene parsing (ADEChallengeData2016) as the official code reads it.

    Official SPADE's ``ADE20KDataset.postprocess`` computes ``label - 1`` into a local
    variable and never writes it back, so SPADE's (and SMIS's) networks see the raw file
    ids, 'other' in channel 0; CoCosNet never shifts. BachGAN builds its box and
    background channels from ``label - 1`` with 'other' -> 150: ``ids: shifted``."""

    Params = ADE20KParams
    layout_doc = "root/images/<split>/*.jpg and root/annotations/<split>/*.png"

    @classmethod
    def fields_of(cls, params: ADE20KParams) -> frozenset[str]:
        return frozenset({"label"} | ({"boxes"} if params.max_boxes else set()))

    def folders(self) -> tuple[Path, dict[str, Path]]:
        s = self.params.split
        return self.root / "images" / s, {"label": self.root / "annotations" / s}

    def label_ids(self, raw: np.ndarray, path: Path) -> np.ndarray:
        if self.params.ids == "file":
            return self.check_labels(raw.copy(), path)
        ids = raw - 1
        ids[raw == 0] = self.label_nc
        return self.check_labels(ids, path)

    def object_classes(self) -> list[int]:
        """The 115 object classes in this config's id convention."""
        shift = 1 if self.params.ids == "file" else 0
        return [c + shift for c in range(150) if c not in ADE20K_STUFF]

    def boxes(self, sample: dict) -> np.ndarray:
        """BachGAN's ADE20K boxes (``get_onehot_box_tensor`` in its data/ade20k_dataset.py):
        for each object class present, ascending, the box of every 8-connected component
        (OpenCV contours; the boxes of hole contours lie inside and add nothing to a
        class's union), dropping spans (rows-1)*(cols-1) < 30 px."""
        return boxes_from_components(sample["label"].numpy(), self.object_classes(), self.params.max_boxes,
                                     ADE20K_MIN_BOX_AREA)


class COCOStuffParams(SegmentationParams):
    """SPADE's COCO-Stuff options: 182 classes, 255 = unlabelled as don't care, instances."""

    split: Literal["train", "val"] = Field("train", description="root/<split>_img, <split>_label, <split>_inst")
    label_nc: int = Field(182, ge=1, description="COCO-Stuff's 182 label ids (80 things, 91 stuff, gaps)")
    contain_dontcare_label: bool = Field(True, description="id 255 (unlabelled) becomes the don't-care label 182")
    no_instance: bool = Field(False, description="ignore the <split>_inst instance maps")


class COCOStuff(PairedFolders):
    """COCO-Stuff in SPADE's layout: <split>_img, <split>_label and <split>_inst folders."""

    Params = COCOStuffParams
    layout_doc = "root/<split>_img/*.jpg, root/<split>_label/*.png and root/<split>_inst/*.png"

    def folders(self) -> tuple[Path, dict[str, Path]]:
        s = self.params.split
        maps = {"label": self.root / f"{s}_label"}
        if not self.params.no_instance:
            maps["instance"] = self.root / f"{s}_inst"
        return self.root / f"{s}_img", maps


class CelebAMaskHQParams(SegmentationParams):
    """SEAN's CelebAMask-HQ options (19 face-part classes, no instances)."""

    split: Literal["train", "test"] = Field("train", description="root/<split>/images and root/<split>/labels")
    label_nc: int = Field(19, ge=1, description="CelebAMask-HQ's 19 face-part classes, 0 = background")
    load_size: int = Field(256, ge=1, description="resize target before cropping (SEAN trains at 256)")


class CelebAMaskHQ(PairedFolders):
    """CelebAMask-HQ in SEAN's layout (images and combined 19-class label maps)."""

    Params = CelebAMaskHQParams
    layout_doc = "root/<split>/images/*.jpg and root/<split>/labels/*.png"
    rescale_maps = True  # the release pairs 1024x1024 images with 512x512 masks

    def folders(self) -> tuple[Path, dict[str, Path]]:
        base = self.root / self.params.split
        return base / "images", {"label": base / "labels"}


class DeepFashionParams(SegmentationParams):
    """SMIS's DeepFashion options: 8 human-parsing classes (CIHP masks)."""

    split: Literal["train", "test"] = Field("train", description="root/<split> images, root/cihp_<split>_mask labels")
    label_nc: int = Field(8, ge=1, description="SMIS's 8 human-parsing classes")
    load_size: int = Field(256, ge=1, description="resize target before cropping (SMIS trains at 256)")


class DeepFashion(PairedFolders):
    """DeepFashion in SMIS's layout: images with CIHP human-parsing masks (no pose)."""

    Params = DeepFashionParams
    layout_doc = "root/<split>/*.jpg and root/cihp_<split>_mask/*.png"

    def folders(self) -> tuple[Path, dict[str, Path]]:
        s = self.params.split
        return self.root / s, {"label": self.root / f"cihp_{s}_mask"}


# -- Cityscapes ---------------------------------------------------------------------


class CityscapesParams(SegmentationParams):
    """SPADE's Cityscapes options: 35 label ids, instances, 2:1 fixed resize."""

    split: Literal["train", "val", "test"] = Field("train", description="leftImg8bit/<split>, gtFine/<split>")
    label_nc: int = Field(35, ge=1, description="Cityscapes label ids 0..33 plus license plate, as SPADE counts")
    no_instance: bool = Field(False, description="ignore the *_instanceIds.png maps")
    preprocess: Preprocess = Field("fixed", description="SPADE's preprocess_mode; 'fixed' keeps the 2:1 frame")
    load_size: int = Field(512, ge=1, description="resize target before cropping (SPADE's load_size)")
    crop_size: int = Field(512, ge=1, description="output width for 'fixed' (SPADE trains Cityscapes at 512x256)")
    aspect_ratio: float = Field(2.0, gt=0, description="width / height for 'fixed'")


class Cityscapes(SegmentationDataset):
    """Cityscapes fine annotations: ``*_labelIds.png`` and ``*_instanceIds.png``."""

    Params = CityscapesParams
    layout_doc = "root/leftImg8bit/<split>/<city>/*_leftImg8bit.png with root/gtFine/<split>/<city>/*_gtFine_*.png"
    SUFFIX = "_leftImg8bit"

    def scan(self) -> list[Entry]:
        split = self.params.split
        images = sorted((self.root / "leftImg8bit" / split).glob(f"*/*{self.SUFFIX}.png"))
        entries = []
        for img in images:
            stem = img.stem[: -len(self.SUFFIX)]
            gt = self.root / "gtFine" / split / img.parent.name
            maps = {"label": gt / f"{stem}_gtFine_labelIds.png"}
            if not self.params.no_instance:
                maps["instance"] = gt / f"{stem}_gtFine_instanceIds.png"
            missing = [str(p) for p in maps.values() if not p.is_file()]
            if missing:
                raise DataError(f"{img}: its annotation {missing[0]} does not exist")
            entries.append(Entry(img, maps))
        return entries

    def instance_ids(self, raw: np.ndarray, path: Path) -> np.ndarray:
        """The raw instanceIds, as SPADE reads them: ``class * 1000 + k`` for thing instances,
        the class id for stuff and for crowd regions; instance edges outline all of them."""
        return raw

    def boxes(self, sample: dict) -> np.ndarray:
        """One box per instance id of the classes 24..33 (person .. bicycle), crowd regions
        (the bare class id) included: BachGAN's ``foregrounds`` and its
        ``str(id).startswith(str(class))`` test in data/cityscapes_dataset.py."""
        inst = sample["instance"].numpy()
        cls = np.where(inst >= 1000, inst // 1000, inst)
        return boxes_from_instances(sample["label"].numpy(), np.where((cls >= 24) & (cls <= 33), inst, 0),
                                    self.params.max_boxes)


# -- class-per-folder domains ----------------------------------------------------------


class ClassFoldersParams(LayoutParams):
    """StarGAN v2's layout and image size."""

    split: str = Field("train", description="sub-folder of root holding one folder per domain")
    load_size: int = Field(256, ge=1, description="resize target before cropping (StarGAN v2's img_size)")
    crop_size: int = Field(256, ge=1, description="final size (StarGAN v2's img_size)")
    labelled_fraction: float = Field(1.0, ge=0.0, le=1.0,
                                     description="share of images whose class_label is kept (SEMIT's partly labelled)")
    seed: int = Field(0, ge=0, description="seed of the labelled / unlabelled split")
    domains: tuple[str, ...] | int | None = Field(
        None, description="the domain folders in index order, or how many there are (sorted names); checked "
                          "against the disk, and what lets the config be described without the data. "
                          "null: every folder, sorted")

    @model_validator(mode="after")
    def _domains_given(self):
        if isinstance(self.domains, int) and self.domains < 1 or self.domains == ():
            raise ValueError("domains: give at least one folder name, or a count >= 1")
        return self


class ClassFolders(LayoutDataset):
    """One folder per domain (AFHQ: cat/dog/wild; CelebA-HQ: female/male), domain index
    from the sorted folder names.

    The folder index is also the ``class_label`` (few-shot papers' categories), kept for a
    seeded ``labelled_fraction`` of the images and -1 for the others, with ``labelled``.
    """

    Params = ClassFoldersParams
    provides = frozenset({"domain", "class_label"})
    layout_doc = "root/<split>/<domain>/*.jpg"

    def scan(self) -> list[Entry]:
        base = self.root / self.params.split
        if not base.is_dir():
            raise DataError(f"{base}: split folder does not exist; expected {self.layout_doc}")
        self.domains = self.domain_folders(base)
        return [Entry(img, meta={"domain": i}) for i, name in enumerate(self.domains)
                for img in sorted(p for p in (base / name).rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)]

    def domain_folders(self, base: Path) -> list[str]:
        found = sorted(d.name for d in base.iterdir() if d.is_dir())
        wanted = self.params.domains
        if isinstance(wanted, tuple):
            missing = [d for d in wanted if d not in found]
            if missing:
                raise DataError(f"{base}: domain folders {', '.join(missing)} (data.domains) do not exist; "
                                f"found: {', '.join(found) or 'none'}")
            return list(wanted)
        if isinstance(wanted, int) and len(found) != wanted:
            raise DataError(f"{base}: {len(found)} domain folders, but data.domains says {wanted}")
        return found

    def fields(self) -> frozenset[str]:
        return frozenset({"domain", "class_label"})

    @classmethod
    def describe(cls, params: ClassFoldersParams) -> DataInfo | None:
        """The DataInfo from params when they name (or count) the domains and the
        preprocessing fixes the size: `ganforge params` without the data."""
        resolution = cls.resolution_from_params(params)
        if params.domains is None or resolution is None:
            return None
        n = params.domains if isinstance(params.domains, int) else len(params.domains)
        return DataInfo(fields=cls.provides, image_channels=3, resolution=resolution, num_domains=n, num_classes=n)

    def info_extra(self) -> dict:
        return {"num_domains": len(self.domains), "num_classes": len(self.domains)}

    def extras(self, entry: Entry, sample: dict) -> None:
        domain = entry.meta["domain"]
        # the split depends on the file, not on its position, so adding images keeps it
        name = entry.image.relative_to(self.root).as_posix().encode()
        key = int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big")
        labelled = bool(np.random.default_rng([self.params.seed, key]).uniform() < self.params.labelled_fraction)
        sample["domain"] = torch.tensor(domain)
        sample["class_label"] = torch.tensor(domain if labelled else -1)
        sample["labelled"] = torch.tensor(labelled)

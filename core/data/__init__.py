"""ganforge.data: the built-in synthetic world and the published dataset layouts.

Every dataset is a `ganforge.Dataset` registered under the name a config uses::

    dataset: {type: synthetic, resolution: 64, seed: 0}
    dataset: {type: cityscapes, root: /data/cityscapes}

Samples are dicts of tensors without batch dimension: ``image`` (3, H, W) in [-1, 1]
plus Condition fields (``label``, ``instance`` ...) and metadata, so torch's default
collate batches them.
"""

from __future__ import annotations

from .base import LayoutDataset, LayoutParams, SegmentationDataset, SegmentationParams
from .coco import COCOPanoptic
from .export import export_synthetic
from .layouts import ADE20K, CelebAMaskHQ, Cityscapes, ClassFolders, COCOStuff, DeepFashion, PairedFolders
from .synthetic import SyntheticParams, SyntheticWorld

DATASETS = {
    "synthetic": (SyntheticWorld, "ganforge's seeded synthetic world: every modality with ground truth", ""),
    "paired_folders": (PairedFolders, "SPADE's custom mode: label / image / instance folders paired by name",
                       "arXiv:1903.07291"),
    "class_folders": (ClassFolders, "one folder per domain, as StarGAN v2 reads AFHQ and CelebA-HQ",
                      "arXiv:1912.01865"),
    "coco_panoptic": (COCOPanoptic, "COCO panoptic: panoptic ids, labels, instances, boxes", "arXiv:1801.00868"),
    "coco_stuff": (COCOStuff, "COCO-Stuff label maps (182 classes) and instances, as SPADE reads them",
                   "arXiv:1612.03716"),
    "cityscapes": (Cityscapes, "Cityscapes fine labels (35 ids) and instances, as SPADE reads them",
                   "arXiv:1604.01685"),
    "ade20k": (ADE20K, "ADE20K scene parsing: 150 classes + 'other', the official ids", "arXiv:1608.05442"),
    "celebamask_hq": (CelebAMaskHQ, "CelebAMask-HQ faces with 19-class label maps, in SEAN's layout",
                      "arXiv:1911.12861"),
    "deepfashion": (DeepFashion, "DeepFashion with 8-class human parsing, in SMIS's layout", "arXiv:2003.12697"),
}


def register_components(register) -> None:
    """Register every dataset (called by the core's own plugin, `ganforge.builtin`)."""
    for name, (cls, summary, paper) in DATASETS.items():
        register("dataset", name, cls, summary=summary, paper=paper)


__all__ = ["SyntheticWorld", "SyntheticParams", "LayoutDataset", "LayoutParams", "SegmentationDataset",
           "SegmentationParams", "PairedFolders", "ClassFolders", "COCOPanoptic", "COCOStuff", "Cityscapes", "ADE20K",
           "CelebAMaskHQ", "DeepFashion", "export_synthetic", "register_components", "DATASETS"]

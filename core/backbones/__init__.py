"""ganforge.backbones: a segmenter and a feature network trained on the synthetic world.

Offline stand-ins for the pretrained networks that papers' metrics use (Inception for
FID/KID/IS, DRN/UperNet/DeepLab for mIoU), which cannot be downloaded here: one command,
``ganforge backbones train``, trains both with the project's own code in minutes on a
CPU, so every plugin can be scored offline ("synthetic FID", "synthetic mIoU").

Their numbers rank models on the synthetic world; they are **not** comparable to the
FID or mIoU that papers report. See docs/metrics.md.
"""

from __future__ import annotations

from .networks import HEADS, INPUT_CONVENTION, FeatureNet, SegmenterNet, backbone_input
from .store import FILENAMES, MANIFEST, TRAIN_COMMAND, load_backbone, weights_path
from .train import BackboneConfig, train_backbones

__all__ = ["BackboneConfig", "train_backbones", "load_backbone", "weights_path", "backbone_input", "FeatureNet",
           "SegmenterNet", "HEADS", "INPUT_CONVENTION", "FILENAMES", "MANIFEST", "TRAIN_COMMAND"]

"""mIoU and pixel accuracy of a segmenter's predictions on generated images.

The semantic-synthesis papers (SPADE and its successors) score how well a generated
image can be segmented back into the label map it was generated from: a segmenter
pretrained on the real dataset (DRN, UperNet, DeepLab ...) predicts classes on the
output, and the predictions are compared with the input label map through one
confusion matrix over the whole evaluation set (summed across DDP ranks).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from ganforge.condition import Condition
from ganforge.errors import ConfigError
from ganforge.interfaces import DataInfo, Metric, Params

from .distributed import all_reduce_sum
from ganforge.weights import MissingWeights, load_state_dict


class SegmentationParams(Params):
    segmenter: str | None = Field(None, description="'package.module:factory' returning an nn.Module that maps "
                                  "images in [-1, 1] to class logits (B, K, h, w); or the name of a registered "
                                  "encoder that returns 'label_logits' (synthetic_segmenter: trained offline by "
                                  "`ganforge backbones train`); or pass `segmenter=` at build")
    weights: str | None = Field(None, description="factory: path of a state dict to load into the segmenter "
                                "(None keeps the factory's weights); registered encoder: its `weights` param "
                                "(None keeps its default)")
    ignore_index: int | None = Field(None, description="label id excluded from both metrics (e.g. 255, "
                                     "or the dont-care id)")


def confusion_matrix(pred: torch.Tensor, label: torch.Tensor, num_classes: int,
                     ignore_index: int | None = None) -> torch.Tensor:
    """(K, K) counts, rows = ground truth, columns = prediction."""
    keep = (label >= 0) & (label < num_classes)
    if ignore_index is not None:
        keep &= label != ignore_index
    idx = label[keep] * num_classes + pred[keep]
    return torch.bincount(idx, minlength=num_classes ** 2).view(num_classes, num_classes)


def scores(confusion: torch.Tensor) -> dict[str, float]:
    """Pixel accuracy, and the mean IoU over classes that occur in labels or predictions."""
    c = confusion.double()
    tp = c.diagonal()
    union = c.sum(0) + c.sum(1) - tp
    present = union > 0
    return {"miou": float((tp[present] / union[present]).mean()), "pixel_accuracy": float(tp.sum() / c.sum())}


class EncoderLogits(nn.Module):
    """A registered encoder seen as a segmenter: ``images -> encoder(images)["label_logits"]``."""

    def __init__(self, encoder: nn.Module, name: str):
        super().__init__()
        self.encoder, self.name = encoder, name

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        out = self.encoder(images, Condition())
        if "label_logits" not in out:
            raise ConfigError(f"metric 'miou': encoder {self.name!r} returns {sorted(out)}, no 'label_logits'")
        return out["label_logits"]


def _registered_segmenter(name: str, weights: str | None, data: DataInfo) -> nn.Module:
    from ganforge import registry

    spec = {"type": name} if weights is None else {"type": name, "weights": weights}
    return EncoderLogits(registry.build("encoder", spec, data, path="miou.segmenter", check=False), name)


def _import_segmenter(spec: str) -> nn.Module:
    module_name, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"metric 'miou': cannot import segmenter {spec!r} ('package.module:factory'): {exc}") from exc
    return factory()


class SegmentationScore(Metric):
    """mIoU and pixel accuracy of ``segmenter(fake)`` against ``cond["label"]``."""

    Params = SegmentationParams
    requires = frozenset({"label"})

    def __init__(self, params: SegmentationParams, data: DataInfo, segmenter: nn.Module | None = None):
        super().__init__(params, data)
        if segmenter is None:
            if params.segmenter is None:
                raise ConfigError("metric 'miou' needs a segmenter: set `segmenter: package.module:factory` or "
                                  "the name of a registered encoder (synthetic_segmenter), or pass segmenter= "
                                  "when building it")
            if ":" not in params.segmenter:
                segmenter = _registered_segmenter(params.segmenter, params.weights, data)
            else:
                segmenter = _import_segmenter(params.segmenter)
        if params.weights is not None and not isinstance(segmenter, EncoderLogits):
            path = Path(params.weights).expanduser()
            if not path.is_file():
                raise MissingWeights(f"metric 'miou': segmenter weights {str(path)!r} not found")
            segmenter.load_state_dict(load_state_dict(path, "miou segmenter"))
        self.segmenter = segmenter.eval().requires_grad_(False)
        self.num_classes = data.label_nc + int(data.contain_dontcare_label)
        if self.num_classes < 1:
            raise ConfigError("metric 'miou': the data has no semantic classes (label_nc is 0)")
        self.reset()

    def reset(self) -> None:
        self.confusion = torch.zeros(self.num_classes, self.num_classes, dtype=torch.int64)

    @torch.no_grad()
    def update(self, fake: torch.Tensor, real: torch.Tensor | None = None, cond: Condition | None = None) -> None:
        if cond is None or "label" not in cond:
            raise ValueError("metric 'miou' compares predictions with the label map: pass cond with 'label'")
        label = cond["label"]
        logits = self.segmenter(fake)
        if logits.shape[-2:] != label.shape[-2:]:
            logits = F.interpolate(logits, size=label.shape[-2:], mode="bilinear", align_corners=False)
        pred = logits.argmax(1)
        self.confusion += confusion_matrix(pred.cpu(), label.cpu().long(), self.num_classes,
                                           self.params.ignore_index)

    def compute(self) -> dict[str, float]:
        (confusion,) = all_reduce_sum(self.confusion)
        if confusion.sum() == 0:
            raise ValueError("metric 'miou': no labelled pixels were given to update()")
        return scores(confusion)

"""The trained segmenter as a registered component: ``encoder`` ``synthetic_segmenter``.

An encoder in ganforge maps an image to Condition fields; a segmenter maps an image to
the ``label`` field, so it is one, and any recipe or metric that takes an encoder can use
it (the `miou` metric: ``{type: miou, segmenter: synthetic_segmenter}``).
"""

from __future__ import annotations

import torch
from pydantic import Field

from ganforge.condition import Condition
from ganforge.errors import ConfigError
from ganforge.interfaces import DataInfo, Encoder, Params

from .networks import backbone_input
from .store import FILENAMES, TRAIN_COMMAND, load_backbone
from ganforge.weights import WeightsFile


class SyntheticSegmenterParams(Params):
    weights: str = Field("hub", description=f"'hub' (torch hub checkpoints cache, ganforge_synthetic_segmenter.pt "
                         f"as `{TRAIN_COMMAND}` writes it), a file path, or 'none' (random, tests only)")


class SyntheticSegmenter(Encoder):
    """``forward(image, cond=None) -> {"label": (B, H, W), "label_logits": (B, K, h, w)}``.

    Images in [-1, 1] at any size go through `backbone_input` (8-bit rounding, resize to
    the training height); the logits stay at that size (the `miou` metric resizes them
    to the label map), ``label`` is their argmax resized (nearest) to the input size.
    Frozen: it scores, it is not trained by a run.
    """

    Params = SyntheticSegmenterParams
    provides = frozenset({"label"})

    def __init__(self, params: SyntheticSegmenterParams, data: DataInfo):
        super().__init__(params, data)
        self.net, self.weights_hash = load_backbone("segmenter", params.weights)
        num_classes = self.net.head.out_channels
        if data.label_nc not in (0, num_classes):
            raise ConfigError(f"encoder 'synthetic_segmenter' predicts the synthetic world's {num_classes} classes "
                              f"but the data has label_nc {data.label_nc}: use the world with every class enabled")

    def train(self, mode: bool = True) -> "SyntheticSegmenter":
        return super().train(False)  # frozen: batch-norm statistics are the trained ones

    @torch.no_grad()
    def forward(self, image: torch.Tensor, cond: Condition | None = None) -> dict[str, torch.Tensor]:
        logits = self.net(backbone_input(image, self.net.resolution))
        label = logits.argmax(1, keepdim=True).float()
        label = torch.nn.functional.interpolate(label, size=image.shape[-2:], mode="nearest")[:, 0].long()
        return {"label": label, "label_logits": logits}


def register_components(register) -> None:
    register("encoder", "synthetic_segmenter", SyntheticSegmenter,
             summary=f"segmenter of the synthetic world's classes, trained offline by `{TRAIN_COMMAND}`")
    uses = {"segmenter": "metric miou, encoder synthetic_segmenter", "features": "metrics fid, kid (network: synthetic)"}
    for network, filename in FILENAMES.items():
        register.weights_file(WeightsFile(f"synthetic_{network}", None, uses[network], filename=filename,
                                          note=f"trained on this machine by `{TRAIN_COMMAND}` (minutes on a CPU)"))

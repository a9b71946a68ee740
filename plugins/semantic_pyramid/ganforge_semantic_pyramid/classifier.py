"""The frozen classifier whose feature pyramid the generator mirrors (paper Sec. 3.1).

The paper uses VGG-16 trained on Places365 and reads seven levels: the output of each of
the five convolutional stages (after its max-pool) and the two last fully-connected
layers, fc7 and fc8 (the class logits). It is an ``encoder`` component so that any
generator can own one through a slot, and any recipe can read ``pyramid(image)``; its
``forward`` provides the fc7 code as the Condition's ``style`` (a global semantic code,
the same field AdaIN-based generators read), so it also feeds other papers' generators.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo
from ganforge.weights import MissingWeights, WeightsFile, load_state_dict, loading_weights, random_init_, resolve_weights

#: the pyramid's levels, shallow to deep, named as in the paper's figures
LEVELS = ("conv1", "conv2", "conv3", "conv4", "conv5", "fc7", "fc8")
CONV_LEVELS = 5
VGG16_STAGES = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))
URLS = {
    # torchvision's IMAGENET1K_V1 VGG16
    "imagenet": "https://download.pytorch.org/models/vgg16-397923af.pth",
    # the file name ganforge looks for: CSAIL's Places365 VGG16 in torchvision's vgg16 keys
    "places365": "vgg16_places365.pth",
}
PLACES365_CAFFE = "http://places2.csail.mit.edu/models_places365/vgg16_places365.caffemodel"
WEIGHTS_FILES = {
    "imagenet": WeightsFile.hub("vgg16_imagenet", URLS["imagenet"], "encoder vgg16_pyramid (weights: imagenet)"),
    "places365": WeightsFile("vgg16_places365", None, "encoder vgg16_pyramid (weights: places365, the paper's)",
                             filename=URLS["places365"], note=f"convert CSAIL's {PLACES365_CAFFE} to torchvision's "
                             "vgg16 keys (365 classes) and save it under this name"),
}
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
POOL = 7  # torchvision's adaptive average pool before the classifier


class VGG16PyramidParams(ganforge.Params):
    weights: Literal["places365", "imagenet", "none"] = Field(
        "places365", description="'places365' (the paper's), 'imagenet' (torchvision), 'none' (random, frozen)")
    path: str | None = Field(None, description="the weights file (torchvision vgg16 keys); default: the torch hub "
                                               "cache, <TORCH_HOME>/hub/checkpoints/<file of the URL>")
    width: float = Field(1.0, gt=0, le=1, description="multiplier of VGG16's conv and fc widths; 1 = VGG16 "
                                                      "(smaller only for a random-init classifier on CPU)")
    num_classes: int = Field(365, ge=1, description="classifier outputs: 365 Places365, 1000 ImageNet")
    imagenet_normalize: bool = Field(True, description="map [-1, 1] images to ImageNet statistics first, as the "
                                                       "pre-trained VGG expects")


def vgg16_layers(width: float, num_classes: int) -> tuple[nn.Sequential, nn.Sequential]:
    """``features`` and ``classifier`` with torchvision's vgg16 indices (so its state_dict
    loads); dropout is kept for the indices and is inactive in the frozen eval mode."""
    layers: list[nn.Module] = []
    cin = 3
    for stage in VGG16_STAGES:
        for cout in stage:
            cout = max(1, round(cout * width))
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=False)]
            cin = cout
        layers.append(nn.MaxPool2d(2, 2))
    fc = max(1, round(4096 * width))
    classifier = nn.Sequential(nn.Linear(cin * POOL * POOL, fc), nn.ReLU(), nn.Dropout(),
                               nn.Linear(fc, fc), nn.ReLU(), nn.Dropout(), nn.Linear(fc, num_classes))
    return nn.Sequential(*layers), classifier


class VGG16Pyramid(ganforge.Encoder):
    """``pyramid(image)`` -> the seven levels C_l(x); ``forward`` -> ``{"style": fc7, "logits": fc8}``."""

    Params: ClassVar = VGG16PyramidParams
    provides = frozenset({"style"})

    def __init__(self, params: VGG16PyramidParams, data: DataInfo):
        super().__init__(params, data)
        self.features, self.classifier = vgg16_layers(params.width, params.num_classes)
        if params.weights == "none" or not loading_weights():  # shapes_only: counting, not running
            random_init_(self)
        else:
            self._load(params.weights, params.path or "hub")
        self.requires_grad_(False).train(False)  # dropout off from the start
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        # where each level ends in `features`: the index after each stage's max-pool
        pools = [i + 1 for i, m in enumerate(self.features) if isinstance(m, nn.MaxPool2d)]
        self._stage_ends = tuple(pools)

    def _load(self, weights: str, spec: str) -> None:
        what = f"encoder 'vgg16_pyramid' ({weights} weights)"
        try:
            path = resolve_weights(spec, URLS[weights], what,
                                   WEIGHTS_FILES[weights].name if weights == "imagenet" else None)
        except MissingWeights as exc:
            if weights != "places365":
                raise
            raise MissingWeights(f"{exc} CSAIL publishes this VGG16 only as {PLACES365_CAFFE}: convert it to "
                                 "torchvision's vgg16 state_dict keys (features.N.weight, classifier.N.weight, "
                                 "365 classes) and save it as vgg16_places365.pth.") from None
        state = load_state_dict(path, what)
        try:
            self.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise ganforge.ConfigError(f"{what}: the file is not a torchvision vgg16 state_dict with "
                                       f"{self.params.num_classes} classes: {exc}") from None

    def train(self, mode: bool = True) -> "VGG16Pyramid":
        return super().train(False)  # frozen: the paper never trains the classifier

    @property
    def level_channels(self) -> tuple[int, ...]:
        """Channels (conv levels) or widths (fc levels) of each level, shallow to deep."""
        convs = [self.features[end - 3].out_channels for end in self._stage_ends]
        return (*convs, self.classifier[3].out_features, self.classifier[6].out_features)

    def pyramid(self, image: torch.Tensor) -> list[torch.Tensor]:
        """[conv1 .. conv5 (B, C_l, H / 2^l, W / 2^l), fc7 (B, 4096), fc8 (B, classes)]."""
        if image.shape[1] != 3:
            raise ValueError(f"encoder 'vgg16_pyramid' needs 3-channel images, got {image.shape[1]} channels")
        x = ((image + 1) / 2 - self.mean) / self.std if self.params.imagenet_normalize else image
        out, start = [], 0
        for end in self._stage_ends:
            x = self.features[start:end](x)
            out.append(x)
            start = end
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, POOL), 1)
        fc7 = self.classifier[:5](x)  # fc6, relu, dropout (off), fc7, relu
        out += [fc7, self.classifier[5:](fc7)]
        return out

    def forward(self, image: torch.Tensor, cond: Condition | None = None) -> dict[str, torch.Tensor]:
        levels = self.pyramid(image)
        return {"style": levels[-2], "logits": levels[-1]}

"""The VGG19 perceptual loss of pix2pixHD and SPADE (Wang et al. 2018, Sec. 3.3):
    sum_i w_i * L1(phi_i(G(s)), phi_i(x)),  phi_i = relu1_1 ... relu5_1 of an ImageNet VGG19,
with w = (1/32, 1/16, 1/8, 1/4, 1). The VGG is frozen; the real image's features are
targets. Like SPADE, images go in as they are in [-1, 1] (no ImageNet normalisation)
unless ``imagenet_normalize`` is set."""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
from pydantic import Field
from torch import nn

import ganforge
from ganforge import DataInfo
from ganforge.weights import WeightsFile, load_state_dict, resolve_weights

# VGG19 ("configuration E") up to relu5_1: conv widths, "M" = 2x2 max-pool.
VGG19_LAYOUT = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512)
# Index (in torchvision's vgg19().features) of relu1_1, relu2_1, relu3_1, relu4_1, relu5_1.
SLICE_ENDS = (1, 6, 11, 20, 29)
VGG19_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"  # torchvision IMAGENET1K_V1
WEIGHTS_FILE = WeightsFile.hub("vgg19_imagenet", VGG19_URL, "loss vgg19_perceptual (SPADE's VGG loss)")
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def vgg19_features() -> nn.Sequential:
    """torchvision's ``vgg19().features[:30]`` (same indices, so its state_dict loads), without
    the 120M-parameter classifier the loss never uses."""
    layers: list[nn.Module] = []
    in_ch = 3
    for item in VGG19_LAYOUT:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(in_ch, item, 3, padding=1), nn.ReLU(inplace=False)]
            in_ch = item
    return nn.Sequential(*layers)


def load_vgg19_weights(features: nn.Sequential, spec: str) -> None:
    """Load torchvision's ImageNet VGG19 convs from ``spec`` ('hub' or a path) into ``features``."""
    what = "loss 'vgg19_perceptual'"
    path = resolve_weights(spec, VGG19_URL, what, WEIGHTS_FILE.name)
    if path is None:  # ganforge.weights.shapes_only: counting, not running
        return
    prefix = "features."
    wanted = {k[len(prefix):]: v for k, v in load_state_dict(path, what).items()
              if k.startswith(prefix) and int(k[len(prefix):].split(".")[0]) < len(features)}
    try:
        features.load_state_dict(wanted, strict=True)
    except RuntimeError as exc:
        raise ganforge.ConfigError(f"{what}: {path} is not a torchvision VGG19 state_dict: {exc}") from None


class VGG19PerceptualParams(ganforge.Params):
    weights: Literal["imagenet", "none"] = Field(
        "imagenet", description="'imagenet': torchvision's VGG19 weights; 'none': random frozen weights (tests)")
    path: str | None = Field(None, description="the weights file; default: the torch hub cache "
                                               "(<TORCH_HOME>/hub/checkpoints/vgg19-dcbb9e9d.pth)")
    layer_weights: tuple[float, float, float, float, float] = Field(
        (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0), description="weights of relu1_1 ... relu5_1")
    imagenet_normalize: bool = Field(False, description="map [-1, 1] images to ImageNet statistics first "
                                                        "(SPADE does not)")


class VGG19PerceptualLoss(ganforge.PairedLoss):
    """VGG19 perceptual loss: weighted L1 between relu1_1..relu5_1 features of fake and real."""

    Params: ClassVar = VGG19PerceptualParams

    def __init__(self, params: VGG19PerceptualParams, data: DataInfo):
        super().__init__(params, data)
        features = vgg19_features()
        if params.weights == "imagenet":
            load_vgg19_weights(features, params.path or "hub")
        starts = (0,) + tuple(e + 1 for e in SLICE_ENDS[:-1])
        self.slices = nn.ModuleList(features[s:e + 1] for s, e in zip(starts, SLICE_ENDS))
        self.requires_grad_(False)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def train(self, mode: bool = True):
        return super().train(False)  # a frozen feature extractor: never in training mode

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        if x.shape[1] != 3:
            raise ValueError(f"loss 'vgg19_perceptual' needs 3-channel images, got {x.shape[1]} channels")
        if self.params.imagenet_normalize:
            x = ((x + 1) / 2 - self.mean) / self.std
        out = []
        for block in self.slices:
            x = block(x)
            out.append(x)
        return out

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            real_features = self.features(real)
        return sum(w * nn.functional.l1_loss(f.float(), r.float())
                   for w, f, r in zip(self.params.layer_weights, self.features(fake), real_features))

"""The paper's losses on VGG-16 features, with spatial masks (Sec. 4, Eq. 1).

L_percept(M, G, x) = sum_j lambda_j / N_j ||F_j(M * G) - F_j(M * x)||^2 over VGG-16's conv1_1,
conv1_2, conv3_2 and conv4_2 (as Image2StyleGAN), and L_style(M, G, y) = ||Gram(F(M * G)) -
Gram(F(M * y))||^2 on conv3_3 for local style transfer. The masks are applied to the images
before the network, as the paper writes them. F_j is the layer's output after its ReLU.
Images larger than ``max_side`` are downsampled before VGG, as Image2StyleGAN feeds its
1024 px faces to VGG-16 at 256 px.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
import torchvision
from pydantic import Field
from torch import nn

import ganforge
from ganforge.weights import WeightsFile, load_state_dict, random_init_, resolve_weights

VGG16_URL = torchvision.models.VGG16_Weights.IMAGENET1K_V1.url
WEIGHTS_FILE = WeightsFile.hub("vgg16_imagenet", VGG16_URL, "Image2StyleGAN++ perceptual and style losses")
# index of each named conv's ReLU in torchvision's vgg16().features
RELU_INDEX = {"conv1_1": 1, "conv1_2": 3, "conv2_1": 6, "conv2_2": 8, "conv3_1": 11, "conv3_2": 13,
              "conv3_3": 15, "conv4_1": 18, "conv4_2": 20, "conv4_3": 22}
PAPER_LAYERS = ("conv1_1", "conv1_2", "conv3_2", "conv4_2")
VGG_SIDE = 256  # Image2StyleGAN's VGG input side for 1024 px images
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class VGG16Features(nn.Module):
    """Frozen VGG-16 returning the named ReLU outputs of an image in [-1, 1].

    ``weights``: ``"hub"`` (torchvision's vgg16-397923af.pth in the torch hub cache), a
    file path, or ``"none"`` (a deterministic random init, for tests and offline runs).
    ``max_side``: larger images are first downsampled (bilinear, antialiased) so that
    their longer side is ``max_side``; None keeps every size."""

    def __init__(self, layers: tuple[str, ...], weights: str = "hub", max_side: int | None = None):
        super().__init__()
        unknown = [n for n in layers if n not in RELU_INDEX]
        if unknown:
            raise ganforge.ConfigError(f"VGG-16 layers {unknown} unknown; choose from {', '.join(RELU_INDEX)}")
        self.layers, self.max_side = tuple(layers), max_side
        # only the convolutional trunk up to the deepest layer used (the 120M-parameter
        # classifier would cost seconds to build and is never run)
        trunk = torchvision.models.vgg.make_layers(torchvision.models.vgg.cfgs["D"])
        self.features = trunk[: max(RELU_INDEX[n] for n in layers) + 1]
        what = "Image2StyleGAN++ perceptual loss (VGG-16)"
        path = resolve_weights(weights, VGG16_URL, what, WEIGHTS_FILE.name)
        if path is None:
            random_init_(self.features)
        else:
            state = load_state_dict(path, what)
            self.features.load_state_dict({k[len("features."):]: v for k, v in state.items()
                                           if k.startswith("features.") and int(k.split(".")[1]) < len(self.features)})
        self.features.eval().requires_grad_(False)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def train(self, mode: bool = True) -> "VGG16Features":
        return super().train(False)  # a fixed feature extractor, whatever the caller's mode

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        side = max(x.shape[-2:])
        if self.max_side is not None and side > self.max_side:
            size = [round(s * self.max_side / side) for s in x.shape[-2:]]
            x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)
        x = ((x + 1) / 2 - self.mean) / self.std
        wanted = {RELU_INDEX[n]: n for n in self.layers}
        out = {}
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in wanted:
                out[wanted[i]] = x
        return out


def masked(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    return x if mask is None else x * mask


class PerceptualParams(ganforge.Params):
    layers: tuple[str, ...] = Field(PAPER_LAYERS, description="VGG-16 layers compared (the paper's)")
    layer_weights: tuple[float, ...] | None = Field(None, description="lambda_j per layer (None: 1 each, the paper's)")
    weights: str = Field("hub", description="VGG-16 ImageNet weights: 'hub' (torch hub cache), a path, or 'none'")
    max_side: int | None = Field(VGG_SIDE, ge=16, description="larger images are downsampled to this side before VGG")


class PerceptualLoss(ganforge.PairedLoss):
    """``forward(fake, real, mask=None)``: sum_j lambda_j * mean((F_j(M*fake) - F_j(M*real))^2)."""

    Params: ClassVar = PerceptualParams

    def __init__(self, params: PerceptualParams, data: ganforge.DataInfo):
        super().__init__(params, data)
        lw = params.layer_weights or (1.0,) * len(params.layers)
        if len(lw) != len(params.layers):
            raise ganforge.ConfigError(f"perceptual loss: {len(lw)} layer_weights for {len(params.layers)} layers")
        self.layer_weights = dict(zip(params.layers, lw))
        self.vgg = VGG16Features(params.layers, params.weights, params.max_side)

    def forward(self, fake: torch.Tensor, real: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        f, r = self.vgg(masked(fake, mask)), self.vgg(masked(real, mask).detach())
        return sum(w * F.mse_loss(f[n], r[n]) for n, w in self.layer_weights.items())


def gram(features: torch.Tensor) -> torch.Tensor:
    """(B, C, C) Gram matrix normalised by the number of entries C*H*W (Gatys et al.)."""
    b, c, h, w = features.shape
    f = features.flatten(2)
    return f @ f.transpose(1, 2) / (c * h * w)


class StyleParams(ganforge.Params):
    layer: str = Field("conv3_3", description="VGG-16 layer whose Gram matrix is matched (the paper's conv3_3)")
    weights: str = Field("hub", description="VGG-16 ImageNet weights: 'hub' (torch hub cache), a path, or 'none'")
    max_side: int | None = Field(VGG_SIDE, ge=16, description="larger images are downsampled to this side before VGG")


class StyleLoss(ganforge.PairedLoss):
    """``forward(fake, style, mask=None)``: ||Gram(F(M*fake)) - Gram(F(M*style))||^2 (mean over entries)."""

    Params: ClassVar = StyleParams

    def __init__(self, params: StyleParams, data: ganforge.DataInfo):
        super().__init__(params, data)
        self.vgg = VGG16Features((params.layer,), params.weights, params.max_side)

    def forward(self, fake: torch.Tensor, real: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        layer = self.params.layer
        return F.mse_loss(gram(self.vgg(masked(fake, mask))[layer]), gram(self.vgg(masked(real, mask).detach())[layer]))

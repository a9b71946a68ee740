"""The building blocks HiDT inherits from MUNIT / FUNIT: a padded convolution followed
by a normalization and an activation, residual blocks of two such convolutions, and
MUNIT's layer norm. Reflection padding everywhere, as in the official daytime config.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ganforge import Condition, Normalizer

#: a factory ``channels -> module``; the module is called ``norm(x)`` or, when it is a
#: ganforge normalizer, ``norm(x, cond)``
NormFactory = Callable[[int], nn.Module]

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": lambda: nn.ReLU(),
    "lrelu": lambda: nn.LeakyReLU(0.2),
    "none": nn.Identity,
}


class LayerNorm(nn.Module):
    """MUNIT's layer norm: per sample, over (C, H, W), divided by the *unbiased* std plus
    eps, then a per-channel affine with gamma drawn from U(0, 1) (the official init)."""

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.gamma = nn.Parameter(torch.rand(num_features))
        self.beta = nn.Parameter(torch.zeros(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(1)
        mean = flat.mean(1).view(-1, 1, 1, 1)
        std = flat.std(1).view(-1, 1, 1, 1)
        x = (x - mean) / (std + self.eps)
        return x * self.gamma.view(1, -1, 1, 1) + self.beta.view(1, -1, 1, 1)


def instance_norm(channels: int) -> nn.Module:
    return nn.InstanceNorm2d(channels, affine=False)


class ConvBlock(nn.Module):
    """reflection pad -> conv -> norm -> activation."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1, padding: int = 0,
                 norm: NormFactory | None = None, activation: str = "relu"):
        super().__init__()
        self.pad = nn.ReflectionPad2d(padding)
        self.conv = nn.Conv2d(in_ch, out_ch, kernel, stride)
        self.norm = norm(out_ch) if norm is not None else None
        self.activation = ACTIVATIONS[activation]()

    def forward(self, x: torch.Tensor, cond: Condition | None = None) -> torch.Tensor:
        x = self.conv(self.pad(x))
        if self.norm is not None:
            x = self.norm(x, cond) if isinstance(self.norm, Normalizer) else self.norm(x)
        return self.activation(x)


class ResBlock(nn.Module):
    """x + conv3(relu(norm(conv3(x)))) with the norm after each conv (MUNIT's ResBlock)."""

    def __init__(self, dim: int, norm: NormFactory, activation: str = "relu"):
        super().__init__()
        self.conv1 = ConvBlock(dim, dim, 3, 1, 1, norm=norm, activation=activation)
        self.conv2 = ConvBlock(dim, dim, 3, 1, 1, norm=norm, activation="none")

    def forward(self, x: torch.Tensor, cond: Condition | None = None) -> torch.Tensor:
        return x + self.conv2(self.conv1(x, cond), cond)


def kaiming_init(module: nn.Module) -> None:
    """The official ``initialization: kaiming``: He-normal (fan in) weights and zero
    biases for every convolution and linear layer. Normalizers are left to initialise
    themselves, so another paper's normalizer in a slot keeps its own init."""
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        nn.init.kaiming_normal_(module.weight, a=0, mode="fan_in")
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    for child in module.children():
        if not isinstance(child, Normalizer):
            kaiming_init(child)


def upsample2(x: torch.Tensor) -> torch.Tensor:
    """Nearest-neighbour x2, the decoder's ``nn.Upsample(scale_factor=2)``."""
    return F.interpolate(x, scale_factor=2, mode="nearest")

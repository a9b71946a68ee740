"""Spectrally normalised layers and the residual blocks of the generator and the
discriminator (SAGAN / BigGAN style, the family the paper's networks belong to)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

import ganforge
from ganforge import ComponentSpec, Condition, DataInfo


def sn(layer: nn.Module) -> nn.Module:
    """Xavier-initialised (gain sqrt 2, as SAGAN) and spectrally normalised."""
    nn.init.xavier_uniform_(layer.weight, 2 ** 0.5)
    if getattr(layer, "bias", None) is not None:
        nn.init.zeros_(layer.bias)
    return spectral_norm(layer)


class GBlock(nn.Module):
    """norm-ReLU-[up]-conv3x3-norm-ReLU-conv3x3 plus a (1x1 when widths differ) shortcut.

    The normalizers come from the generator's ``norm`` slot and read the Condition, so
    any paper's normalizer (SPADE, AdaIN, ...) drops in."""

    def __init__(self, cin: int, cout: int, up: bool, norm: ComponentSpec, data: DataInfo, path: str):
        super().__init__()
        self.up = up
        self.norm1 = ganforge.build("normalizer", norm, data, num_features=cin, path=f"{path}.norm1")
        self.conv1 = sn(nn.Conv2d(cin, cout, 3, padding=1))
        self.norm2 = ganforge.build("normalizer", norm, data, num_features=cout, path=f"{path}.norm2")
        self.conv2 = sn(nn.Conv2d(cout, cout, 3, padding=1))
        self.shortcut = sn(nn.Conv2d(cin, cout, 1)) if (cin != cout or up) else nn.Identity()

    def _up(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=2, mode="nearest") if self.up else x

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        h = self._up(F.relu(self.norm1(x, cond)))
        h = self.conv1(h)
        h = self.conv2(F.relu(self.norm2(h, cond)))
        return h + self.shortcut(self._up(x))


class DBlock(nn.Module):
    """[ReLU]-conv3x3-ReLU-conv3x3-[avgpool] plus a 1x1 shortcut (no ReLU before the first block)."""

    def __init__(self, cin: int, cout: int, down: bool, first: bool):
        super().__init__()
        self.down, self.first = down, first
        self.conv1 = sn(nn.Conv2d(cin, cout, 3, padding=1))
        self.conv2 = sn(nn.Conv2d(cout, cout, 3, padding=1))
        self.shortcut = sn(nn.Conv2d(cin, cout, 1)) if (cin != cout or down) else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x if self.first else F.relu(x)
        h = self.conv2(F.relu(self.conv1(h)))
        skip = x
        if self.down:
            h = F.avg_pool2d(h, 2)
            skip = F.avg_pool2d(skip, 2)
        return h + self.shortcut(skip)

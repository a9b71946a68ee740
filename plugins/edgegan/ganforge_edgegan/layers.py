"""Small pieces shared by EdgeGAN's networks: the TF code's initialisation and norms."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

NormType = Literal["instance", "batch", "none"]


def normal_init(layer: nn.Module, std: float = 0.02) -> nn.Module:
    """N(0, 0.02) weights and zero biases, the DCGAN initialisation the TF code uses for
    its conv, deconv and linear layers (``conv2d``'s truncated normal differs only in the tails)."""
    with torch.no_grad():
        nn.init.normal_(layer.weight, 0.0, std)
        if layer.bias is not None:
            nn.init.zeros_(layer.bias)
    return layer


def norm2d(kind: NormType, channels: int) -> nn.Module:
    """The TF ``nn.norm``: parameter-free instance norm (the released flags' G_norm, D_norm
    and E_norm), batch norm with affine parameters, or nothing."""
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, eps=1e-5)
    if kind == "batch":
        return nn.BatchNorm2d(channels, eps=1e-5, momentum=0.1)
    return nn.Identity()


def to_edge_image(strokes: torch.Tensor, channels: int) -> torch.Tensor:
    """{0, 1} stroke maps (B, 1, H, W), 1 = line, -> edge images in [-1, 1] as EdgeGAN
    draws them: black lines (-1) on white (+1), ``channels`` copies (the TF code's edges are RGB)."""
    return (1 - 2 * strokes.float()).expand(-1, channels, -1, -1)

"""Building blocks shared by StarGAN v2's networks.

Every conv and linear layer is He-initialised (kaiming normal, fan_in, biases zero) as
the official code does for all four networks; the helpers below build layers that are
already initialised, so no network has to walk its children afterwards (which would
re-initialise a normalizer from another paper placed in a slot).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

import ganforge
from ganforge import DataInfo
from ganforge.resample_conv import conv_avg_pool


def he_init(layer: nn.Conv2d | nn.Linear) -> nn.Module:
    nn.init.kaiming_normal_(layer.weight, mode="fan_in", nonlinearity="relu")
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


def conv(in_ch: int, out_ch: int, kernel_size: int, padding: int = 0, bias: bool = True) -> nn.Conv2d:
    return he_init(nn.Conv2d(in_ch, out_ch, kernel_size, 1, padding, bias=bias))


def linear(in_features: int, out_features: int) -> nn.Linear:
    return he_init(nn.Linear(in_features, out_features))


class ResBlock(nn.Module):
    """Pre-activation residual block ((IN) -> LReLU -> conv, twice), optionally halving the
    resolution with average pooling. The sum is divided by sqrt(2) to keep unit variance.
    Used by the generator's encoder (with IN), the style encoder and D (without)."""

    def __init__(self, dim_in: int, dim_out: int, normalize: bool = False, downsample: bool = False):
        super().__init__()
        self.normalize, self.downsample = normalize, downsample
        self.conv1 = conv(dim_in, dim_in, 3, 1)
        self.conv2 = conv(dim_in, dim_out, 3, 1)
        if normalize:
            self.norm1 = nn.InstanceNorm2d(dim_in, affine=True)
            self.norm2 = nn.InstanceNorm2d(dim_in, affine=True)
        self.skip = conv(dim_in, dim_out, 1, bias=False) if dim_in != dim_out else None

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        # pool, then the bias-free 1x1 conv: the official order reversed, equal (both are
        # linear and per pixel) at a quarter of the conv's cost
        if self.downsample:
            x = F.avg_pool2d(x, 2)
        return self.skip(x) if self.skip is not None else x

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        if self.normalize:
            x = self.norm1(x)
        x = F.leaky_relu(x, 0.2)
        # conv then pool, as one stride-2 conv where that is faster (ganforge.resample_conv)
        x = conv_avg_pool(self.conv1, x) if self.downsample else self.conv1(x)
        if self.normalize:
            x = self.norm2(x)
        return self.conv2(F.leaky_relu(x, 0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.shortcut(x) + self.residual(x)) / math.sqrt(2)


def num_domains(data: DataInfo, component: str) -> int:
    """The number of domains of the run; a multi-domain network without domains is a
    config error, not an indexing crash."""
    if data.num_domains < 1:
        raise ganforge.ConfigError(
            f"{component}: the data provides no domains (num_domains=0); StarGAN v2 needs a dataset "
            "with a 'domain' field, e.g. class_folders (one folder per domain) or synthetic")
    return data.num_domains


def square_power_of_two(data: DataInfo, component: str, minimum: int) -> int:
    """The image size, which every StarGAN v2 network derives its depth from."""
    h, w = data.resolution
    if h != w or h < minimum or h & (h - 1):
        raise ganforge.ConfigError(
            f"{component}: resolution {data.resolution} must be square, a power of two and at least {minimum}")
    return h


def select_domain(per_domain: torch.Tensor, domain: torch.Tensor, component: str) -> torch.Tensor:
    """Row ``i`` of ``per_domain[i, domain[i]]``: (B, num_domains, ...) -> (B, ...).

    Every head runs and the sample's own is picked, as in the official code, so each
    head's parameters take part in every step (what DDP expects)."""
    n = per_domain.shape[1]
    if domain.dim() != 1 or domain.shape[0] != per_domain.shape[0]:
        raise ValueError(f"{component}: cond['domain'] must have shape (B,) = ({per_domain.shape[0]},), "
                         f"got {tuple(domain.shape)}")
    # checked eagerly (a host sync); under torch.compile the check would break the graph, and
    # the compiled indexing asserts its bounds itself
    if domain.numel() and not torch.compiler.is_compiling() and (int(domain.min()) < 0 or int(domain.max()) >= n):
        raise ValueError(f"{component}: domain ids must lie in [0, {n}), got [{int(domain.min())}, {int(domain.max())}]")
    return per_domain[torch.arange(domain.shape[0], device=domain.device), domain.long()]

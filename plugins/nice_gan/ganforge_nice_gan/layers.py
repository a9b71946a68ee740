"""Normalization layers of the NICE-GAN decoder (inherited from U-GAT-IT, arXiv:1907.10830).

ILN and AdaILN mix instance-norm and layer-norm statistics with a learned per-channel
ratio rho (a softmax over the two), so the decoder can choose per channel between the
local contrast of IN and the global look of LN. ILN has its own affine gamma / beta;
AdaILN takes them from the decoder's MLP (the adaptive part). Variances are unbiased, as
in the official code.
"""

from __future__ import annotations

import torch
from torch import nn


def mix_instance_layer(x: torch.Tensor, rho: torch.Tensor, eps: float) -> torch.Tensor:
    """softmax(rho)_0 * IN(x) + softmax(rho)_1 * LN(x), rho of shape (1, C, 2)."""
    weights = torch.softmax(rho, dim=2)
    in_mean, in_var = x.mean(dim=(2, 3), keepdim=True), x.var(dim=(2, 3), keepdim=True)
    ln_mean, ln_var = x.mean(dim=(1, 2, 3), keepdim=True), x.var(dim=(1, 2, 3), keepdim=True)
    x_in = (x - in_mean) / torch.sqrt(in_var + eps)
    x_ln = (x - ln_mean) / torch.sqrt(ln_var + eps)
    return weights[..., 0, None, None] * x_in + weights[..., 1, None, None] * x_ln


class ILN(nn.Module):
    """Instance-Layer Normalization with a learned affine; rho starts LN-dominated."""

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.rho = nn.Parameter(torch.tensor([1.0, 3.2]).repeat(1, num_features, 1))
        self.gamma = nn.Parameter(torch.ones(1, num_features, 1, 1))
        self.beta = nn.Parameter(torch.zeros(1, num_features, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return mix_instance_layer(x, self.rho, self.eps) * self.gamma + self.beta


class AdaILN(nn.Module):
    """Adaptive ILN: gamma and beta (B, C) come from the decoder's MLP; rho starts
    IN-dominated."""

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.rho = nn.Parameter(torch.tensor([3.2, 1.0]).repeat(1, num_features, 1))

    def forward(self, x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
        return mix_instance_layer(x, self.rho, self.eps) * gamma[..., None, None] + beta[..., None, None]


class AdaILNResBlock(nn.Module):
    """x + [pad-conv3x3-AdaILN-ReLU-pad-conv3x3-AdaILN](x), convs without bias."""

    def __init__(self, dim: int):
        super().__init__()
        self.pad = nn.ReflectionPad2d(1)
        self.conv1 = nn.Conv2d(dim, dim, 3, bias=False)
        self.norm1 = AdaILN(dim)
        self.conv2 = nn.Conv2d(dim, dim, 3, bias=False)
        self.norm2 = AdaILN(dim)

    def forward(self, x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.norm1(self.conv1(self.pad(x)), gamma, beta))
        return x + self.norm2(self.conv2(self.pad(h)), gamma, beta)

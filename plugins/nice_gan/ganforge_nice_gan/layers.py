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


def mix_instance_layer(x: torch.Tensor, rho: torch.Tensor, eps: float, gamma: torch.Tensor,
                       beta: torch.Tensor) -> torch.Tensor:
    """(softmax(rho)_0 * IN(x) + softmax(rho)_1 * LN(x)) * gamma + beta, rho of shape
    (1, C, 2), gamma and beta broadcasting to (B, C, 1, 1).

    The official code builds IN(x) and LN(x) as whole tensors and mixes them (about ten
    passes over x, each with its backward). Both are per-channel affine maps of x, so the
    mix is one: with m, v the per-channel (instance) mean and unbiased variance, M, V the
    per-sample (layer) ones, a = softmax(rho),

        mix = (x - m) * (a_0 / sqrt(v + eps) + a_1 / sqrt(V + eps)) + a_1 (m - M) / sqrt(V + eps)

    and gamma, beta fold into the two per-channel factors: two passes over x. M and V come
    from the channels' m and v (the mean of the means; the within- plus between-channel
    sums of squares), not from another two passes. x is centred by its channel mean
    first, as in the official IN term, so no precision is lost to cancellation; the
    result equals the official form's up to fp32 rounding."""
    weights = torch.softmax(rho, dim=2)[..., None, None]  # (1, C, 2, 1, 1)
    n = x.shape[2] * x.shape[3]
    in_var, in_mean = torch.var_mean(x, dim=(2, 3), keepdim=True)
    ln_mean = in_mean.mean(dim=1, keepdim=True)
    ln_var = ((n - 1) * in_var + n * (in_mean - ln_mean).square()).sum(dim=1, keepdim=True) / (x.shape[1] * n - 1)
    inv_in, inv_ln = torch.rsqrt(in_var + eps), torch.rsqrt(ln_var + eps)
    scale = (weights[:, :, 0] * inv_in + weights[:, :, 1] * inv_ln) * gamma
    shift = weights[:, :, 1] * inv_ln * (in_mean - ln_mean) * gamma + beta
    return torch.addcmul(shift, x - in_mean, scale)


class ILN(nn.Module):
    """Instance-Layer Normalization with a learned affine; rho starts LN-dominated."""

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.rho = nn.Parameter(torch.tensor([1.0, 3.2]).repeat(1, num_features, 1))
        self.gamma = nn.Parameter(torch.ones(1, num_features, 1, 1))
        self.beta = nn.Parameter(torch.zeros(1, num_features, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return mix_instance_layer(x, self.rho, self.eps, self.gamma, self.beta)


class AdaILN(nn.Module):
    """Adaptive ILN: gamma and beta (B, C) come from the decoder's MLP; rho starts
    IN-dominated."""

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.rho = nn.Parameter(torch.tensor([3.2, 1.0]).repeat(1, num_features, 1))

    def forward(self, x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
        return mix_instance_layer(x, self.rho, self.eps, gamma[..., None, None], beta[..., None, None])


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

"""The mapping network f: Z -> W (StyleGAN Sec. 2, unchanged in StyleGAN2).

z is normalised to the unit hypersphere (pixel norm), then 8 fully connected layers with
a 100x smaller learning rate (lr_mul 0.01) give w. The running average of w (the
"centre of mass" of W) is tracked while training, as in the official code, for the
truncation trick w' = w_avg + psi (w - w_avg).
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import EqualLinear


def pixel_norm(z: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    return z * torch.rsqrt(z.square().mean(dim=1, keepdim=True) + eps)


class MappingNetwork(nn.Module):
    def __init__(self, z_dim: int, w_dim: int, num_layers: int, lr_mul: float, w_avg_beta: float):
        super().__init__()
        dims = [z_dim] + [w_dim] * num_layers
        self.layers = nn.Sequential(*(EqualLinear(i, o, lr_mul=lr_mul, activate=True)
                                      for i, o in zip(dims[:-1], dims[1:])))
        self.w_avg_beta = w_avg_beta
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z: torch.Tensor, truncation_psi: float = 1.0) -> torch.Tensor:
        w = self.layers(pixel_norm(z))
        if self.training:
            with torch.no_grad():
                self.w_avg.lerp_(w.detach().float().mean(0), 1.0 - self.w_avg_beta)
        if truncation_psi != 1.0:
            w = self.w_avg.to(w.dtype).lerp(w, truncation_psi)
        return w

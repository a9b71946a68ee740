"""AdaIN as in the official 2D generator (MUNIT's AdaptiveInstanceNorm2d): instance-normalise,
then scale and shift with parameters computed from the layer's style code."""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo


class AdaINParams(ganforge.Params):
    style_dim: int = Field(256, ge=1, description="width of cond['style'] (the official style MLP's hidden width)")
    eps: float = Field(1e-5, gt=0, description="instance-norm epsilon")


class AdaIN(ganforge.Normalizer):
    """y = gamma(style) * IN(x) + beta(style); gamma, beta from one linear layer of the style."""

    Params: ClassVar = AdaINParams
    requires = frozenset({"style"})

    def __init__(self, params: AdaINParams, data: DataInfo, num_features: int):
        super().__init__(params, data, num_features)
        self.affine = nn.Linear(params.style_dim, 2 * num_features)

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        style = cond["style"].to(x.dtype)
        if style.shape != (x.shape[0], self.params.style_dim):
            raise ValueError(f"normalizer 'controllable_3d_adain' expects cond['style'] of shape "
                             f"({x.shape[0]}, {self.params.style_dim}), got {tuple(style.shape)}")
        gamma, beta = self.affine(style)[:, :, None, None].chunk(2, dim=1)
        return gamma * F.instance_norm(x, eps=self.params.eps) + beta

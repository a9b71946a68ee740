"""SPADE: spatially-adaptive (de)normalization (Park et al. 2019, Sec. 3, Eq. 1).

    out = norm(x) * (1 + gamma(m)) + beta(m)

``norm`` has no learned affine parameters; gamma and beta are per-pixel maps predicted
from the semantic map m (resized to x's resolution) by a shared conv + ReLU followed by
one conv each. "1 +" makes a freshly initialised layer (small gamma) close to the plain
normalisation.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo

from . import semantic
from .layers import InitParams, conv2d, onehot_conv2d, param_free_norm


class SPADEParams(InitParams):
    param_free_norm: Literal["instance", "batch", "syncbatch"] = Field(
        "syncbatch", description="normalisation before modulation (norm_G 'spectralspadesyncbatch3x3')")
    nhidden: int = Field(128, ge=1, description="channels of the shared embedding of the semantic map")
    kernel_size: int = Field(3, ge=1, description="kernel of the three SPADE convs (odd)")
    use_instance: bool | None = semantic.use_instance_field()
    lookup: bool = semantic.lookup_field()


class SPADE(ganforge.Normalizer):
    """Spatially-adaptive normalization: scale and bias predicted per pixel from the label map."""

    Params: ClassVar = SPADEParams
    requires = frozenset({"label"})

    def __init__(self, params: SPADEParams, data: DataInfo, num_features: int):
        super().__init__(params, data, num_features)
        if params.kernel_size % 2 == 0:
            raise ganforge.ConfigError(f"normalizer 'spade': kernel_size must be odd, got {params.kernel_size}")
        label_nc = semantic.semantic_nc(data, params.use_instance)
        ks, pw = params.kernel_size, params.kernel_size // 2
        self.param_free_norm = param_free_norm(params.param_free_norm, num_features)
        self.mlp_shared = nn.Sequential(
            onehot_conv2d(semantic.onehot_classes(data), label_nc, params.nhidden, ks, padding=pw, init=params),
            nn.ReLU())
        self.mlp_gamma = conv2d(params.nhidden, num_features, ks, padding=pw, init=params)
        self.mlp_beta = conv2d(params.nhidden, num_features, ks, padding=pw, init=params)

    @classmethod
    def requirements(cls, params: SPADEParams, data: DataInfo) -> frozenset[str]:
        return semantic.requirements(params.use_instance, data)

    def modulation(self, x: torch.Tensor, cond: Condition) -> tuple[torch.Tensor, torch.Tensor]:
        """(gamma, beta), each (B, C, H, W), from the semantic map at x's resolution."""
        size = tuple(x.shape[-2:])
        if self.params.lookup:
            actv = self.mlp_shared[1](self.mlp_shared[0].lookup(
                *semantic.semantic_ids(cond, self.data, self.params.use_instance, size)))
        else:
            m = semantic.semantic_map(cond, self.data, self.params.use_instance, size=size)
            actv = self.mlp_shared(m.to(x.dtype))
        return self.mlp_gamma(actv), self.mlp_beta(actv)

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        gamma, beta = self.modulation(x, cond)
        return self.param_free_norm(x) * (1 + gamma) + beta  # Eq. (1)

"""Conditional group normalization, CG-Norm (Zhu et al. 2020, Sec. 3.2, Fig. 2; ``GROUP_SPADE``
in the official code).

    out = norm(x) * (1 + gamma(m)) + beta(m)

SPADE's modulation (Eq. 1 of Park et al.) with its three convs made group convs, so a
block whose features are split into G groups is modulated group by group. The semantic
map m is the one-hot label map; with instance maps, each class's mask is followed by the
instance boundary map ([m_0, e, m_1, e, ...]), so every class group sees the edges too.

The hidden width and the groups of the three convs differ between the official dataset
settings (``--dataset_mode``); ``variant`` names them:

============  =======================  ===============  ==============
variant       hidden channels          shared conv      gamma / beta
============  =======================  ===============  ==============
deepfashion   ``nhidden`` (128)        G groups         G groups
cityscapes    K * G                    K groups         K groups
ade20k        2K if G divides K,       K groups         G groups
              else K * G
============  =======================  ===============  ==============

G is the group count of the enclosing block (a runtime argument: GroupDNet's decoder
passes it to every normalizer that declares ``accepts_groups``); built alone, G = K.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo
from ganforge_spade import semantic
from ganforge_spade.layers import InitParams, param_free_norm

from . import codes
from .layers import group_conv


def class_semantic_map(cond: Condition, data: DataInfo, use_instance: bool | None,
                       size: tuple[int, int]) -> torch.Tensor:
    """(B, K, H, W) one-hot map, or (B, 2K, H, W) with each class's mask followed by the
    instance edges (the official Cityscapes interleaving)."""
    seg = semantic.semantic_map(cond, data, use_instance, size=size)
    if not semantic.uses_instance(use_instance, data):
        return seg
    labels, edges = seg[:, :-1], seg[:, -1:]
    return torch.stack([labels, edges.expand_as(labels)], dim=2).flatten(1, 2)


class CGNormParams(InitParams):
    param_free_norm: Literal["instance", "batch", "syncbatch"] = Field(
        "syncbatch", description="normalisation before modulation (norm_G 'spectralspadesyncbatch3x3')")
    variant: Literal["deepfashion", "cityscapes", "ade20k"] = Field(
        "deepfashion", description="hidden width and groups of the three convs, as the official code sets them "
                                   "per dataset (see the module docstring)")
    nhidden: int = Field(128, ge=1, description="hidden channels of the 'deepfashion' variant")
    kernel_size: int = Field(3, ge=1, description="kernel of the three convs (odd)")
    use_instance: bool | None = semantic.use_instance_field()


class CGNorm(ganforge.Normalizer):
    """Conditional group normalization: SPADE's per-pixel scale and bias from group convolutions."""

    Params: ClassVar = CGNormParams
    requires = frozenset({"label"})
    accepts_groups: ClassVar[bool] = True  # GroupDNet's decoder passes each block's group count

    def __init__(self, params: CGNormParams, data: DataInfo, num_features: int, groups: int | None = None):
        super().__init__(params, data, num_features)
        who = "normalizer 'cg_norm'"
        if params.kernel_size % 2 == 0:
            raise ganforge.ConfigError(f"{who}: kernel_size must be odd, got {params.kernel_size}")
        k = codes.num_classes(data, who)
        self.groups = g = k if groups is None else groups
        seg_nc = k * (2 if semantic.uses_instance(params.use_instance, data) else 1)
        if params.variant == "deepfashion":
            hidden, shared_groups, out_groups = params.nhidden, g, g
        elif params.variant == "cityscapes":
            hidden, shared_groups, out_groups = k * g, k, k
        else:
            hidden, shared_groups, out_groups = (2 * k if k % g == 0 else k * g), k, g
        ks, pw = params.kernel_size, params.kernel_size // 2
        conv = lambda cin, cout, groups_: group_conv(cin, cout, ks, groups_, padding=pw, init=params, who=who)
        self.param_free_norm = param_free_norm(params.param_free_norm, num_features)
        self.mlp_shared = nn.Sequential(conv(seg_nc, hidden, shared_groups), nn.ReLU())
        self.mlp_gamma = conv(hidden, num_features, out_groups)
        self.mlp_beta = conv(hidden, num_features, out_groups)

    @classmethod
    def requirements(cls, params: CGNormParams, data: DataInfo) -> frozenset[str]:
        return semantic.requirements(params.use_instance, data)

    def modulation(self, x: torch.Tensor, cond: Condition) -> tuple[torch.Tensor, torch.Tensor]:
        """(gamma, beta), each (B, C, H, W), from the semantic map at x's resolution."""
        m = class_semantic_map(cond, self.data, self.params.use_instance, tuple(x.shape[-2:]))
        actv = self.mlp_shared(m.to(x.dtype))
        return self.mlp_gamma(actv), self.mlp_beta(actv)

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        gamma, beta = self.modulation(x, cond)
        return self.param_free_norm(x) * (1 + gamma) + beta

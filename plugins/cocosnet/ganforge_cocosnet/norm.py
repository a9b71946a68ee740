"""Spatially-variant de-normalization from the warped exemplar (Zhang et al. 2020, Sec. 3.2, Eq. 5):

    out = norm(x) * (1 + alpha(m)) + beta(m),   m = [r_{y->x}, x_A]

SPADE's modulation, with the modulation map ``m`` made of any condition fields: the
translation network reads the warped exemplar concatenated with the label map (the
official ``--CBN_intype warp_mask``), the domain adaptors read their own input (the label
map or the exemplar). ``norm`` is positional normalization (``--PONO``) by default. As in
the official code the map reaches each layer's resolution by nearest resizing and the
convs are reflection-padded.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field, field_validator
from torch import nn

import ganforge
from ganforge import Condition, DataInfo
from ganforge.condition import field_table
from ganforge_spade import semantic
from ganforge_spade.layers import InitParams, conv2d, param_free_norm

from .layers import PositionalNorm2d

LABEL_FIELDS = ("label", "exemplar_label")


def field_channels(name: str, data: DataInfo) -> int:
    """Channels a field contributes to a modulation map: label maps one-hot (with the
    don't-care channel), images their colour channels, edges and masks one."""
    if name in LABEL_FIELDS:
        return semantic.semantic_nc(data, use_instance=False)
    spec = field_table()[name]
    if spec.shape == "B,3,H,W":
        return data.image_channels
    if spec.shape == "B,1,H,W":
        return 1
    raise ganforge.ConfigError(f"field {name!r} ({spec.shape}) cannot be a modulation map; use label maps, "
                               "images, edges or masks")


def modulation_map(cond: Condition, fields: tuple[str, ...], data: DataInfo,
                   dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(B, sum of channels, H, W) in ``dtype``: the fields at full resolution, concatenated in
    order; built once per Condition (every normalizer of a forward shares it) unless a field
    carries a graph (a warped exemplar): a memo would hand a later pass a stale graph."""
    if any(cond[name].requires_grad for name in fields):
        return _modulation_map(cond, fields, data, dtype)
    key = ("cocosnet.modulation_map", fields, data.label_nc, data.contain_dontcare_label, dtype)
    return cond.memo(key, lambda: _modulation_map(cond, fields, data, dtype))


def _modulation_map(cond: Condition, fields: tuple[str, ...], data: DataInfo, dtype: torch.dtype) -> torch.Tensor:
    maps = []
    for name in fields:
        value = cond[name]
        if name in LABEL_FIELDS:
            value = cond.onehot(data.label_nc + int(data.contain_dontcare_label), name)
        maps.append(value.to(dtype))
    sizes = {tuple(m.shape[-2:]) for m in maps}
    if len(sizes) > 1:
        raise ValueError(f"modulation fields {fields} have different sizes {sorted(sizes)}")
    return torch.cat(maps, dim=1)


class CoCosNetSPADEParams(InitParams):
    inputs: tuple[str, ...] = Field(("warped_exemplar", "label"),
                                    description="condition fields of the modulation map, concatenated in order")
    param_free_norm: Literal["positional", "instance", "batch", "syncbatch"] = Field(
        "positional", description="normalisation before modulation (official --PONO: positional)")
    nhidden: int = Field(128, ge=1, description="channels of the shared embedding of the modulation map")
    kernel_size: int = Field(3, ge=1, description="kernel of the three convs (odd)")

    @field_validator("inputs")
    @classmethod
    def _some(cls, value):
        if not value:
            raise ValueError("at least one input field")
        return value


class CoCosNetSPADE(ganforge.Normalizer):
    """SPADE modulated by any condition fields (the warped exemplar and the label map by default)."""

    Params: ClassVar = CoCosNetSPADEParams

    def __init__(self, params: CoCosNetSPADEParams, data: DataInfo, num_features: int):
        super().__init__(params, data, num_features)
        if params.kernel_size % 2 == 0:
            raise ganforge.ConfigError(f"normalizer 'cocosnet_spade': kernel_size must be odd, got {params.kernel_size}")
        in_ch = sum(field_channels(f, data) for f in params.inputs)
        ks, pw = params.kernel_size, params.kernel_size // 2
        self.param_free_norm = (PositionalNorm2d() if params.param_free_norm == "positional"
                                else param_free_norm(params.param_free_norm, num_features))
        self.mlp_shared = nn.Sequential(nn.ReflectionPad2d(pw), conv2d(in_ch, params.nhidden, ks, init=params), nn.ReLU())
        self.pad = nn.ReflectionPad2d(pw)
        self.mlp_gamma = conv2d(params.nhidden, num_features, ks, init=params)
        self.mlp_beta = conv2d(params.nhidden, num_features, ks, init=params)

    @classmethod
    def requirements(cls, params: CoCosNetSPADEParams, data: DataInfo) -> frozenset[str]:
        return frozenset(params.inputs)

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        m = modulation_map(cond, self.params.inputs, self.data, x.dtype)
        actv = self.mlp_shared(F.interpolate(m, size=x.shape[-2:], mode="nearest"))
        gamma, beta = self.mlp_gamma(self.pad(actv)), self.mlp_beta(self.pad(actv))
        return self.param_free_norm(x) * (1 + gamma) + beta  # Eq. (5)

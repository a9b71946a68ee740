"""Spatially-variant de-normalization from the warped exemplar (Zhang et al. 2020, Sec. 3.2, Eq. 5):

    out = norm(x) * (1 + alpha(m)) + beta(m),   m = [r_{y->x}, x_A]

SPADE's modulation, with the modulation map ``m`` made of any condition fields: the
translation network reads the warped exemplar concatenated with the label map (the
official ``--CBN_intype warp_mask``), the domain adaptors read their own input (the label
map or the exemplar). ``norm`` is positional normalization (``--PONO``) by default. As in
the official code the map reaches each layer's resolution by nearest resizing and the
convs are reflection-padded.

The first conv reads a one-hot label map (151 of the translation network's 154 channels
on ADE20K): with ``lookup`` (default) it runs as an exact lookup over the label ids
(`ganforge.onehot_conv.OneHotConv2d`, same weights), the other fields a small dense conv
beside it -- the official code's dense conv over the one-hot map is, at 256x256, most of
the translation network's FLOPs, and its input gradient (taken for the warped exemplar)
would run over all 154 channels.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field, field_validator
from torch import nn

import ganforge
from ganforge import Condition, DataInfo
from ganforge.condition import check_label_range, field_table
from ganforge_spade import semantic
from ganforge_spade.layers import InitParams, conv2d, onehot_conv2d, param_free_norm

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
                   dtype: torch.dtype = torch.float32, size: tuple[int, int] | None = None) -> torch.Tensor:
    """(B, sum of channels, H, W) in ``dtype``: the fields at ``size`` (default: their own,
    full resolution), concatenated in order -- the full-resolution map resized with nearest,
    built at ``size`` (label maps are resized as ids, then one-hot); built once per
    Condition and size (every normalizer of a forward shares it) unless a field carries a
    graph (a warped exemplar): a memo would hand a later pass a stale graph."""
    if any(cond[name].requires_grad for name in fields):
        return _modulation_map(cond, fields, data, dtype, size)
    key = ("cocosnet.modulation_map", fields, data.label_nc, data.contain_dontcare_label, dtype, size)
    return cond.memo(key, lambda: _modulation_map(cond, fields, data, dtype, size))


def field_size(cond: Condition, fields: tuple[str, ...]) -> tuple[int, int]:
    """The one (H, W) of the modulation fields; fields of different sizes are an error
    (resizing each to a layer's size would hide it)."""
    sizes = {tuple(cond[name].shape[-2:]) for name in fields}
    if len(sizes) > 1:
        raise ValueError(f"modulation fields {fields} have different sizes {sorted(sizes)}")
    return sizes.pop()


def _modulation_map(cond: Condition, fields: tuple[str, ...], data: DataInfo, dtype: torch.dtype,
                    size: tuple[int, int] | None) -> torch.Tensor:
    own = field_size(cond, fields)
    size = tuple(size) if size is not None else own
    maps = []
    for name in fields:
        if name in LABEL_FIELDS:
            maps.append(label_onehot(cond, name, data, size, dtype))
        else:
            value = cond[name].to(dtype)
            maps.append(value if tuple(value.shape[-2:]) == size else F.interpolate(value, size=size, mode="nearest"))
    return torch.cat(maps, dim=1) if len(maps) > 1 else maps[0]


def label_position(fields: tuple[str, ...], data: DataInfo) -> tuple[str, int] | None:
    """The one label field of a modulation map and its first channel, or None (no label
    field, or several: those stay a dense conv)."""
    labels = [name for name in fields if name in LABEL_FIELDS]
    if len(labels) != 1:
        return None
    at = fields.index(labels[0])
    return labels[0], sum(field_channels(name, data) for name in fields[:at])


def label_ids(cond: Condition, name: str, data: DataInfo, size: tuple[int, int], pad: int = 0) -> torch.Tensor:
    """(B, H + 2 pad, W + 2 pad) ids of label field ``name`` at ``size``, reflection-padded
    by ``pad``: what `OneHotConv2d.lookup` reads in place of the padded one-hot map (nearest
    resizing and reflection commute with the one-hot). Checked and built once per Condition."""
    def build() -> torch.Tensor:
        classes = data.label_nc + int(data.contain_dontcare_label)
        ids = cond[name]
        if ids.device.type == "cpu" and not torch.compiler.is_compiling():
            cond.memo(("cocosnet.checked", name), lambda: check_label_range(ids, classes, name))
        ids = Condition(label=ids).resized(size)["label"]
        return F.pad(ids[:, None], (pad,) * 4, mode="reflect")[:, 0] if pad else ids
    return cond.memo(("cocosnet.label_ids", name, tuple(size), pad), build)


def label_onehot(cond: Condition, name: str, data: DataInfo, size: tuple[int, int], dtype: torch.dtype
                 ) -> torch.Tensor:
    """One-hot map of label field ``name`` at ``size``, built there (equal to the
    full-resolution map resized with nearest)."""
    classes = data.label_nc + int(data.contain_dontcare_label)
    return cond.memo(("cocosnet.onehot", name, tuple(size), dtype),
                     lambda: Condition(label=label_ids(cond, name, data, size)).onehot(classes).to(dtype))


class CoCosNetSPADEParams(InitParams):
    inputs: tuple[str, ...] = Field(("warped_exemplar", "label"),
                                    description="condition fields of the modulation map, concatenated in order")
    param_free_norm: Literal["positional", "instance", "batch", "syncbatch"] = Field(
        "positional", description="normalisation before modulation (official --PONO: positional)")
    nhidden: int = Field(128, ge=1, description="channels of the shared embedding of the modulation map")
    kernel_size: int = Field(3, ge=1, description="kernel of the three convs (odd)")
    lookup: bool = semantic.lookup_field()

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
            raise ganforge.ConfigError(
                f"normalizer 'cocosnet_spade': kernel_size must be odd, got {params.kernel_size}")
        in_ch = sum(field_channels(f, data) for f in params.inputs)
        ks, pw = params.kernel_size, params.kernel_size // 2
        self.param_free_norm = (PositionalNorm2d() if params.param_free_norm == "positional"
                                else param_free_norm(params.param_free_norm, num_features))
        self.label_at = label_position(params.inputs, data)
        if self.label_at is not None:
            first = onehot_conv2d(field_channels(self.label_at[0], data), in_ch, params.nhidden, ks,
                                  onehot_at=self.label_at[1], init=params)
        else:
            first = conv2d(in_ch, params.nhidden, ks, init=params)
        self.mlp_shared = nn.Sequential(nn.ReflectionPad2d(pw), first, nn.ReLU())
        self.pad = nn.ReflectionPad2d(pw)
        self.mlp_gamma = conv2d(params.nhidden, num_features, ks, init=params)
        self.mlp_beta = conv2d(params.nhidden, num_features, ks, init=params)

    @classmethod
    def requirements(cls, params: CoCosNetSPADEParams, data: DataInfo) -> frozenset[str]:
        return frozenset(params.inputs)

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        size = tuple(x.shape[-2:])
        if self.params.lookup and self.label_at is not None:
            actv = self.mlp_shared[2](self.mlp_shared[1].lookup(*self.lookup_inputs(cond, size, x.dtype)))
        else:
            actv = self.mlp_shared(modulation_map(cond, self.params.inputs, self.data, x.dtype, size))
        gamma, beta = self.mlp_gamma(self.pad(actv)), self.mlp_beta(self.pad(actv))
        return self.param_free_norm(x) * (1 + gamma) + beta  # Eq. (5)

    def lookup_inputs(self, cond: Condition, size: tuple[int, int], dtype: torch.dtype
                      ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The padded label ids at ``size`` and the other fields, resized and padded alike."""
        field_size(cond, self.params.inputs)
        pad = self.params.kernel_size // 2
        label = self.label_at[0]
        dense = tuple(name for name in self.params.inputs if name != label)
        extra = modulation_map(cond, dense, self.data, dtype, size) if dense else None
        if extra is not None and pad:
            extra = F.pad(extra, (pad,) * 4, mode="reflect")
        return label_ids(cond, label, self.data, size, pad), extra

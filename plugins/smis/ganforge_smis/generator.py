"""GroupDNet's decoder (Zhu et al. 2020, Sec. 3.2, Fig. 2): the generator.

SPADE's residual generator (head_0, G_middle_0/1, up_0 ... up_3, nearest upsampling
between them) with every conv a group conv and every normalizer a conditional group
normalization. It starts from the class codes (B, K * 8, sh, sw) through a group conv
with K groups, so each class's start features come from its own code alone. The group
count G_i of block i then *decreases* (DeepFashion 8, 8, 4, 4, 2, 2, 1): early blocks keep
classes apart, so a code controls its own region only; later blocks let neighbouring
classes interact, which the paper shows is needed for image quality on datasets with
many classes.

The normalizer is a slot: CG-Norm by default; any normalizer that declares
``accepts_groups`` receives its block's G, others (SPADE, SEAN) are built with the
channel count only.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field, field_validator
from torch import nn

import ganforge
from ganforge import ComponentSpec, Condition, DataInfo
from ganforge_spade.generator import upsamplers
from ganforge_spade.layers import InitParams

from . import codes
from .layers import group_conv

BLOCKS = 7  # head_0, G_middle_0, G_middle_1, up_0, up_1, up_2, up_3


def deepfashion_schedule(k: int) -> tuple[int, ...]:
    """The DeepFashion group schedule relative to K: K, K, K/2, K/2, K/4, K/4, K/8 (8, 8, 4, 4, 2, 2, 1)."""
    return tuple(max(k // d, 1) for d in (1, 1, 2, 2, 4, 4, 8))


def build_norm(spec: ComponentSpec, data: DataInfo, channels: int, groups: int) -> ganforge.Normalizer:
    """The slot's normalizer for ``channels``, told the block's group count if it takes one."""
    record, _ = ganforge.resolve("normalizer", spec, "generator.norm")
    runtime = {"groups": groups} if getattr(record.cls, "accepts_groups", False) else {}
    # the generator's own requirements check covers the norm slot once, before building
    return ganforge.build("normalizer", spec, data, path="generator.norm", check=False, num_features=channels,
                          **runtime)


class GroupResnetBlock(nn.Module):
    """SPADE's ResBlk with G-group convs and CG-Norms ("SPADEV2ResnetBlock" officially)."""

    def __init__(self, fin: int, fout: int, groups: int, norm: ComponentSpec, data: DataInfo, *, spectral: bool,
                 init: InitParams, who: str):
        super().__init__()
        fmiddle = min(fin, fout)
        self.learned_shortcut = fin != fout
        conv = lambda cin, cout, ks, bias=True: group_conv(cin, cout, ks, groups, padding=ks // 2, bias=bias,
                                                           spectral=spectral, init=init, who=who)
        self.conv_0 = conv(fin, fmiddle, 3)
        self.conv_1 = conv(fmiddle, fout, 3)
        self.norm_0 = build_norm(norm, data, fin, groups)
        self.norm_1 = build_norm(norm, data, fmiddle, groups)
        if self.learned_shortcut:
            self.conv_s = conv(fin, fout, 1, bias=False)
            self.norm_s = build_norm(norm, data, fin, groups)

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        x_s = self.conv_s(self.norm_s(x, cond)) if self.learned_shortcut else x
        dx = self.conv_0(F.leaky_relu(self.norm_0(x, cond), 0.2))
        dx = self.conv_1(F.leaky_relu(self.norm_1(dx, cond), 0.2))
        return x_s + dx


class GroupDNetParams(InitParams):
    ngf: int = Field(160, ge=1, description="channels of the last block (DeepFashion 160, Cityscapes 280, ADE20K 64)")
    num_upsampling_layers: Literal["normal", "more"] = Field(
        "more", description="5 or 6 upsamplings from the codes' size to the image ('more', as every official setting)")
    code_channels: int = Field(8, ge=1, description="channels of each class's code map (8 officially)")
    groups: tuple[int, ...] | None = Field(
        None, description="group count of head_0, G_middle_0, G_middle_1, up_0 ... up_3; null: DeepFashion's "
                          "schedule K, K, K/2, K/2, K/4, K/4, K/8 (Cityscapes 35, 35, 20, 14, 10, 4, 1; "
                          "ADE20K 151, 16, 16, 8, 4, 2, 1)")
    layout: Literal["standard", "ade20k"] = Field(
        "standard", description="block widths: 'standard' 16, 16, 16, 8, 4, 2, 1 x ngf from a 16 ngf start; "
                                "'ade20k' a 16K-channel start and head, then 32, 16, 16, 8, 4, 2 x ngf")
    spectral_norm: bool = Field(True, description="spectral norm on the block convs (norm_G 'spectral...')")
    norm: ComponentSpec = ganforge.slot("normalizer", "cg_norm", "normalization inside every residual block")
    upsample: ComponentSpec = ganforge.slot("upsampler", "nearest", "the 2x upsampling between blocks")

    @field_validator("groups")
    @classmethod
    def _seven(cls, v: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if v is not None and (len(v) != BLOCKS or min(v) < 1):
            raise ValueError(f"needs {BLOCKS} positive group counts (head_0 ... up_3), got {list(v)}")
        return v


class GroupDNet(ganforge.Generator):
    """GroupDNet decoder: class codes -> image through group-decreasing residual blocks."""

    Params: ClassVar = GroupDNetParams
    requires = frozenset({"label"})

    def __init__(self, params: GroupDNetParams, data: DataInfo):
        super().__init__(params, data)
        who = "generator 'groupdnet'"
        self.num_classes = k = codes.num_classes(data, who)
        self.start_size = codes.latent_size(data, params.num_upsampling_layers, who)
        self.code_dim = params.code_channels * self.start_size[0] * self.start_size[1]
        self.groups = params.groups or deepfashion_schedule(k)
        nf = params.ngf
        if params.layout == "standard":
            start = 16 * nf
            widths = [(16 * nf, 16 * nf)] * 3 + [(16 * nf, 8 * nf), (8 * nf, 4 * nf), (4 * nf, 2 * nf), (2 * nf, nf)]
        else:
            start = 16 * k
            widths = [(16 * k, 16 * k), (16 * k, 32 * nf), (32 * nf, 16 * nf), (16 * nf, 16 * nf), (16 * nf, 8 * nf),
                      (8 * nf, 4 * nf), (4 * nf, 2 * nf)]
        self.fc = group_conv(params.code_channels * k, start, 3, k, padding=1, init=params, who=f"{who} fc")
        self.blocks = nn.ModuleList(
            GroupResnetBlock(fin, fout, g, params.norm, data, spectral=params.spectral_norm, init=params,
                             who=f"{who} block {i} (groups[{i}] = {g})")
            for i, ((fin, fout), g) in enumerate(zip(widths, self.groups)))
        # An upsampling precedes every block except the head; with 'normal' not G_middle_1.
        before = [False, True, params.num_upsampling_layers == "more"] + [True] * (BLOCKS - 3)
        self.upsamplers = upsamplers(params.upsample, data, before, widths)
        self.conv_img = group_conv(widths[-1][1], data.image_channels, 3, 1, padding=1, init=params, who=who)

    def sample_codes(self, batch: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """(B, K, D) codes from the prior N(0, I), what the generator uses when the condition has none."""
        w = self.conv_img.weight
        return torch.randn(batch, self.num_classes, self.code_dim, generator=generator).to(w.device, w.dtype)

    def forward(self, cond: Condition) -> torch.Tensor:
        z = cond["region_style"] if "region_style" in cond else self.sample_codes(cond.batch_size)
        codes.check_codes(z, cond.batch_size, self.num_classes, self.code_dim, "generator 'groupdnet'")
        x = self.fc(codes.to_maps(z.to(self.conv_img.weight.dtype), self.params.code_channels, self.start_size))
        for i, block in enumerate(self.blocks):
            if str(i) in self.upsamplers:
                x = self.upsamplers[str(i)](x, cond)
            x = block(x, cond)
        return torch.tanh(self.conv_img(F.leaky_relu(x, 0.2)))

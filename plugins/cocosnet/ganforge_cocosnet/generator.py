"""The translation network (Zhang et al. 2020, Sec. 3.2, Fig. 2 right).

SPADE's generator with CoCosNet's changes: it starts from the downsampled modulation map
(the warped exemplar with the label map, not the label map alone), every residual block
is de-normalized by the warped exemplar (the ``norm`` slot, `CoCosNetSPADE` by default;
any other paper's normalizer drops in), convs are reflection-padded, and a self-attention
block sits before the 64x64 block (the official ``--use_attention``).
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field

import ganforge
from ganforge import ComponentSpec, Condition, DataInfo
from ganforge_spade.layers import InitParams, conv2d

from .layers import SelfAttention, SPADEResnetBlock
from .norm import field_channels, modulation_map

NUM_UPSAMPLINGS = 5
BLOCKS = ("head_0", "G_middle_0", "G_middle_1", "up_0", "up_1", "up_2", "up_3")


class CoCosNetGeneratorParams(InitParams):
    ngf: int = Field(64, ge=1, description="channels of the last block; earlier blocks have 16, 8, 4, 2 x ngf")
    inputs: tuple[str, ...] = Field(("warped_exemplar", "label"), description="condition fields of the start map "
                                    "(official --CBN_intype warp_mask: warped exemplar, label map)")
    use_attention: bool = Field(True, description="self-attention before the block at 4 ngf (official --use_attention)")
    spectral_norm: bool = Field(True, description="spectral norm on the block convs (norm_G spectral...)")
    norm: ComponentSpec = ganforge.slot("normalizer", {"type": "cocosnet_spade"},
                                        "normalization inside every residual block")


class CoCosNetGenerator(ganforge.Generator):
    """CoCosNet's translation network: residual blocks de-normalized by the warped exemplar."""

    Params: ClassVar = CoCosNetGeneratorParams

    def __init__(self, params: CoCosNetGeneratorParams, data: DataInfo):
        super().__init__(params, data)
        nf = params.ngf
        h, w = data.resolution
        factor = 2 ** NUM_UPSAMPLINGS
        if h % factor or w % factor:
            raise ganforge.ConfigError(f"generator 'cocosnet': data.resolution {h}x{w} must be divisible by {factor}")
        self.start_size = (h // factor, w // factor)
        self.fc = conv2d(sum(field_channels(f, data) for f in params.inputs), 16 * nf, 3, padding=1, init=params)

        def make_norm(channels: int) -> ganforge.Normalizer:
            # the generator's requirements check covers the norm slot once, before building
            return ganforge.build("normalizer", params.norm, data, path="generator.norm", check=False,
                                  num_features=channels)

        widths = [(16 * nf, 16 * nf)] * 3 + [(16 * nf, 8 * nf), (8 * nf, 4 * nf), (4 * nf, 2 * nf), (2 * nf, nf)]
        for name, (fin, fout) in zip(BLOCKS, widths):
            self.add_module(name, SPADEResnetBlock(fin, fout, make_norm, spectral=params.spectral_norm, init=params))
        self.attn = SelfAttention(4 * nf, params.spectral_norm, params) if params.use_attention else None
        self.conv_img = conv2d(nf, data.image_channels, 3, padding=1, init=params)

    @classmethod
    def requirements(cls, params: CoCosNetGeneratorParams, data: DataInfo) -> frozenset[str]:
        return frozenset(params.inputs)

    def forward(self, cond: Condition) -> torch.Tensor:
        x = self.fc(modulation_map(cond, self.params.inputs, self.data, self.conv_img.weight.dtype, self.start_size))
        for name in BLOCKS:
            if name in ("G_middle_0", "up_0", "up_1", "up_2", "up_3"):
                x = F.interpolate(x, scale_factor=2, mode="nearest")
            if name == "up_2" and self.attn is not None:
                x = self.attn(x)
            x = getattr(self, name)(x, cond)
        return torch.tanh(self.conv_img(F.leaky_relu(x, 0.2)))

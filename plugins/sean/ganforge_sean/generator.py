"""The SEAN generator (Zhu et al. 2020, Sec. 3.3, Fig. 4).

SPADE's generator (Park et al. 2019, Fig. 4) with SEAN ResBlks: the same residual blocks
of ``ganforge_spade`` (head_0, G_middle_0/1, up_0 ... up_3, nearest upsampling between
them, the downsampled label map as input), whose normalizers receive the style matrix.
As in the official network, the last block (up_3, at ngf channels) is normalised without
style codes: its normalizer is ``final_norm``, SEAN with ``use_style: false``.

Both normalizers are slots, so ``norm: {type: spade}`` gives back a SPADE generator (with
noise in the last block) and any other conditional normalizer drops in.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import ComponentSpec, Condition, DataInfo
from ganforge_spade import semantic
from ganforge_spade.generator import NUM_UPSAMPLINGS, SPADEResnetBlock, upsamplers
from ganforge_spade.layers import InitParams, conv2d


class SEANGeneratorParams(InitParams):
    ngf: int = Field(64, ge=1, description="channels of up_3; earlier blocks have 16, 8, 4, 2 x ngf")
    num_upsampling_layers: Literal["normal", "more", "most"] = Field(
        "normal", description="5, 6 or 7 upsamplings: 'more' adds one between the middle blocks, "
                              "'most' also a last block up_4 at ngf/2")
    spectral_norm: bool = Field(True, description="spectral norm on the block convs (norm_G 'spectral...')")
    use_instance: bool | None = semantic.use_instance_field()
    style_length: int = Field(512, ge=1, description="D: width of each region's style code; the norms inherit "
                                                     "it unless set")
    norm: ComponentSpec = ganforge.slot("normalizer", "sean", "normalization of the styled blocks head_0 ... up_2",
                                        inherit=("style_length",))
    final_norm: ComponentSpec = ganforge.slot(
        "normalizer", {"type": "sean", "use_style": False},
        "normalization of the last block(s), up_3 (and up_4 with 'most'), which SEAN runs without style codes",
        inherit=("style_length",))
    upsample: ComponentSpec = ganforge.slot("upsampler", "nearest", "the 2x upsampling between blocks")


class SEANGenerator(ganforge.Generator):
    """SEAN generator: SPADE's residual generator whose blocks are modulated by per-region style codes."""

    Params: ClassVar = SEANGeneratorParams

    def __init__(self, params: SEANGeneratorParams, data: DataInfo):
        super().__init__(params, data)
        nf, n_up = params.ngf, NUM_UPSAMPLINGS[params.num_upsampling_layers]
        factor = 2 ** n_up
        h, w = data.resolution
        if h % factor or w % factor:
            raise ganforge.ConfigError(
                f"generator 'sean': data.resolution {h}x{w} must be divisible by 2^{n_up} = {factor} with "
                f"num_upsampling_layers='{params.num_upsampling_layers}'")
        self.start_size = (h // factor, w // factor)
        self.fc = conv2d(semantic.semantic_nc(data, params.use_instance), 16 * nf, 3, padding=1, init=params)

        # (in, out) of the blocks normalised by `norm` (head_0, G_middle_0, G_middle_1, up_0, up_1, up_2),
        # then of the tail normalised by `final_norm` (up_3, and up_4 for 'most')
        widths = [(16 * nf, 16 * nf)] * 3 + [(16 * nf, 8 * nf), (8 * nf, 4 * nf), (4 * nf, 2 * nf)]
        tail = [(2 * nf, nf)] + ([(nf, nf // 2)] if params.num_upsampling_layers == "most" else [])
        self.blocks = nn.ModuleList(
            SPADEResnetBlock(fin, fout, norm, data, spectral=params.spectral_norm, init=params)
            for (fin, fout), norm in [(wd, params.norm) for wd in widths] + [(wd, params.final_norm) for wd in tail])
        # An upsampling precedes every block except the head; with 'normal' not G_middle_1.
        upsample_before = [False, True, n_up >= 6] + [True] * (len(self.blocks) - 3)
        self.upsamplers = upsamplers(params.upsample, data, upsample_before, widths + tail)
        self.conv_img = conv2d(tail[-1][1], data.image_channels, 3, padding=1, init=params)

    @classmethod
    def requirements(cls, params: SEANGeneratorParams, data: DataInfo) -> frozenset[str]:
        # The start reads the label map; the two norm slots declare their own needs.
        return semantic.requirements(params.use_instance, data)

    def forward(self, cond: Condition) -> torch.Tensor:
        seg = semantic.semantic_map(cond, self.data, self.params.use_instance, size=self.start_size)
        x = self.fc(seg.to(self.conv_img.weight.dtype))
        for i, block in enumerate(self.blocks):
            if str(i) in self.upsamplers:
                x = self.upsamplers[str(i)](x, cond)
            x = block(x, cond)
        return torch.tanh(self.conv_img(F.leaky_relu(x, 0.2)))

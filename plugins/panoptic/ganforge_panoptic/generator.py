"""The Panoptic-based synthesis generator (Dundar et al. 2020, Sec. 3.3): SPADE's
generator (Park et al. 2019, Fig. 4) in which every convolution is panoptic-aware and every
nearest-neighbour upsampling is the panoptic-aware upsampling.

Same blocks, widths and upsampling schedule as ``ganforge_spade``'s generator: the
downsampled semantic map through ``fc``, head_0, G_middle_0/1, up_0 ... up_3 (up_4 with
'most'), LeakyReLU and ``conv_img``. Panoptic-aware here: ``fc``, the blocks' 3x3 convs,
``conv_img`` (the 1x1 shortcut sees one pixel: already panoptic-aware), the normalizers'
convolutions (default ``panoptic_spade``) and the upsampling (default ``panoptic_upsample``).
Both are slots, so ``norm: {type: spade}`` or ``upsample: nearest`` give the paper's
ablations, and any other conditional normalizer drops in.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field

import ganforge
from ganforge import ComponentSpec, Condition, DataInfo
from ganforge_spade import semantic
from ganforge_spade.generator import NUM_UPSAMPLINGS, SPADEResnetBlock, upsamplers
from ganforge_spade.layers import InitParams

from . import segments
from .conv import panoptic_conv
from .norm import INSTANCE_DOC


class PanopticResnetBlock(SPADEResnetBlock):
    """SPADE ResBlk (norm -> LReLU -> conv, twice, plus the learned shortcut) whose 3x3
    convolutions are panoptic-aware."""

    def __init__(self, fin: int, fout: int, norm: ComponentSpec, data: DataInfo, *, spectral: bool,
                 init: InitParams):
        super().__init__(fin, fout, norm, data, spectral=spectral, init=init)
        self.data = data

    @staticmethod
    def conv3x3(fin: int, fout: int, *, spectral: bool, init: InitParams) -> torch.nn.Module:
        return panoptic_conv(fin, fout, 3, spectral=spectral, init=init)

    def convolve(self, conv: torch.nn.Module, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        return conv(x, segments.segment_ids(cond, self.data, tuple(x.shape[-2:])))


class PanopticGeneratorParams(InitParams):
    ngf: int = Field(64, ge=1, description="channels of the last block; earlier blocks have 16, 8, 4, 2 x ngf")
    num_upsampling_layers: Literal["normal", "more", "most"] = Field(
        "normal", description="5, 6 or 7 upsamplings: 'more' adds one between the middle blocks, "
                              "'most' also a last block at ngf/2 (Cityscapes uses 'more')")
    spectral_norm: bool = Field(True, description="spectral norm on the block convs (SPADE's norm_G 'spectral...')")
    use_instance: bool = Field(False, description=INSTANCE_DOC)
    norm: ComponentSpec = ganforge.slot("normalizer", "panoptic_spade", "normalization inside every residual block")
    upsample: ComponentSpec = ganforge.slot("upsampler", "panoptic_upsample", "the 2x upsampling between blocks")


class PanopticGenerator(ganforge.Generator):
    """SPADE's generator with panoptic-aware convolutions and upsampling."""

    Params: ClassVar = PanopticGeneratorParams
    requires = frozenset({"label", "panoptic"})

    def __init__(self, params: PanopticGeneratorParams, data: DataInfo):
        super().__init__(params, data)
        nf, n_up = params.ngf, NUM_UPSAMPLINGS[params.num_upsampling_layers]
        factor = 2 ** n_up
        h, w = data.resolution
        if h % factor or w % factor:
            raise ganforge.ConfigError(
                f"generator 'panoptic': data.resolution {h}x{w} must be divisible by 2^{n_up} = {factor} with "
                f"num_upsampling_layers='{params.num_upsampling_layers}'")
        self.start_size = (h // factor, w // factor)
        self.fc = panoptic_conv(semantic.semantic_nc(data, params.use_instance), 16 * nf, 3, init=params)

        # (in, out) channels of head_0, G_middle_0, G_middle_1, up_0..up_3 (and up_4 for 'most')
        widths = [(16 * nf, 16 * nf)] * 3 + [(16 * nf, 8 * nf), (8 * nf, 4 * nf), (4 * nf, 2 * nf), (2 * nf, nf)]
        if params.num_upsampling_layers == "most":
            widths.append((nf, nf // 2))
        self.blocks = torch.nn.ModuleList(
            PanopticResnetBlock(fin, fout, params.norm, data, spectral=params.spectral_norm, init=params)
            for fin, fout in widths)
        # An upsampling precedes every block except the head; with 'normal' not G_middle_1.
        upsample_before = [False, True, n_up >= 6] + [True] * (len(widths) - 3)
        self.upsamplers = upsamplers(params.upsample, data, upsample_before, widths)
        self.conv_img = panoptic_conv(widths[-1][1], data.image_channels, 3, init=params)

    @classmethod
    def requirements(cls, params: PanopticGeneratorParams, data: DataInfo) -> frozenset[str]:
        # fc reads the label map and the segments; the norm and upsample slots declare their own needs.
        return semantic.requirements(params.use_instance, data) | segments.requirements(data)

    def forward(self, cond: Condition) -> torch.Tensor:
        dtype = self.conv_img.weight.dtype
        seg = semantic.semantic_map(cond, self.data, self.params.use_instance, size=self.start_size)
        x = self.fc(seg.to(dtype), segments.segment_ids(cond, self.data, self.start_size))
        for i, block in enumerate(self.blocks):
            if str(i) in self.upsamplers:
                x = self.upsamplers[str(i)](x, cond)
            x = block(x, cond)
        ids = segments.segment_ids(cond, self.data, tuple(x.shape[-2:]))
        return torch.tanh(self.conv_img(F.leaky_relu(x, 0.2), ids))

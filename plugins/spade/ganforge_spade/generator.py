"""The SPADE generator (Park et al. 2019, Fig. 4 and appendix A).

A stack of SPADE residual blocks with nearest-neighbour upsampling between them, from
a (H/2^n, W/2^n) start to the full image. The start is the downsampled semantic map
(deterministic) or, in the multi-modal VAE variant, a projection of a latent z. Every
block is modulated by the label map through its normalizers; which normalizer that is
comes from the config (``norm`` slot), so SEAN, CLADE or any other conditional norm
drops in without touching this file.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import ComponentSpec, Condition, DataInfo

from . import semantic
from .layers import InitParams, conv2d, linear

# Upsamplings between the start resolution and the image (SPADE's compute_latent_vector_size).
NUM_UPSAMPLINGS = {"normal": 5, "more": 6, "most": 7}


class SPADEResnetBlock(nn.Module):
    """SPADE ResBlk (Fig. 4 right): [norm -> LReLU -> conv] x 2, with a learned
    norm -> 1x1 conv shortcut when the channel count changes."""

    def __init__(self, fin: int, fout: int, norm: ComponentSpec, data: DataInfo, *, spectral: bool,
                 init: InitParams):
        super().__init__()
        fmiddle = min(fin, fout)
        self.learned_shortcut = fin != fout
        self.conv_0 = self.conv3x3(fin, fmiddle, spectral=spectral, init=init)
        self.conv_1 = self.conv3x3(fmiddle, fout, spectral=spectral, init=init)
        self.norm_0 = self._norm(norm, data, fin)
        self.norm_1 = self._norm(norm, data, fmiddle)
        if self.learned_shortcut:
            self.conv_s = conv2d(fin, fout, 1, bias=False, spectral=spectral, init=init)
            self.norm_s = self._norm(norm, data, fin)

    @staticmethod
    def _norm(spec: ComponentSpec, data: DataInfo, channels: int) -> ganforge.Normalizer:
        # The generator's own requirements check covers the norm slot once, before building.
        return ganforge.build("normalizer", spec, data, path="generator.norm", check=False, num_features=channels)

    @staticmethod
    def conv3x3(fin: int, fout: int, *, spectral: bool, init: InitParams) -> nn.Module:
        """The block's two 3x3 convolutions; a subclass builds another kind (Panoptic's)."""
        return conv2d(fin, fout, 3, padding=1, spectral=spectral, init=init)

    def convolve(self, conv: nn.Module, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        """Apply one of the 3x3 convolutions; a subclass may feed it the condition too."""
        return conv(x)

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        x_s = self.conv_s(self.norm_s(x, cond)) if self.learned_shortcut else x
        dx = self.convolve(self.conv_0, F.leaky_relu(self.norm_0(x, cond), 0.2), cond)
        dx = self.convolve(self.conv_1, F.leaky_relu(self.norm_1(dx, cond), 0.2), cond)
        return x_s + dx


def upsamplers(spec: ComponentSpec, data: DataInfo, before: list[bool],
               widths: list[tuple[int, int]]) -> nn.ModuleDict:
    """The upsamplers preceding blocks, keyed by block index (``before[i]``: block i is
    preceded by a 2x upsampling of its ``widths[i][0]`` input channels)."""
    return nn.ModuleDict({
        str(i): ganforge.build("upsampler", spec, data, path="generator.upsample", check=False, num_features=fin)
        for i, ((fin, _), up) in enumerate(zip(widths, before)) if up})


class SPADEGeneratorParams(InitParams):
    ngf: int = Field(64, ge=1, description="channels of the last block; earlier blocks have 16, 8, 4, 2 x ngf")
    num_upsampling_layers: Literal["normal", "more", "most"] = Field(
        "normal", description="5, 6 or 7 upsamplings: 'more' adds one between the middle blocks, "
                              "'most' also a last block at ngf/2 (Cityscapes uses 'more')")
    use_vae: bool = Field(False, description="start from a latent z (condition field 'z', else N(0, I)) "
                                             "instead of the downsampled label map")
    z_dim: int = Field(256, ge=1, description="width of z when use_vae")
    spectral_norm: bool = Field(True, description="spectral norm on the block convs (norm_G 'spectral...')")
    use_instance: bool | None = semantic.use_instance_field()
    norm: ComponentSpec = ganforge.slot("normalizer", "spade", "normalization inside every residual block")
    upsample: ComponentSpec = ganforge.slot("upsampler", "nearest", "the 2x upsampling between blocks")


class SPADEGenerator(ganforge.Generator):
    """SPADE generator: residual blocks modulated by the semantic map, upsampled to the image."""

    Params: ClassVar = SPADEGeneratorParams
    requires = frozenset({"label"})

    def __init__(self, params: SPADEGeneratorParams, data: DataInfo):
        super().__init__(params, data)
        nf = params.ngf
        self.start_size = self._start_size(params, data)
        n_up = NUM_UPSAMPLINGS[params.num_upsampling_layers]
        sh, sw = self.start_size
        if params.use_vae:
            self.fc = linear(params.z_dim, 16 * nf * sh * sw, init=params)
        else:
            self.fc = conv2d(semantic.semantic_nc(data, params.use_instance), 16 * nf, 3, padding=1, init=params)

        # (in, out) channels of head_0, G_middle_0, G_middle_1, up_0..up_3 (and up_4 for 'most')
        widths = [(16 * nf, 16 * nf)] * 3 + [(16 * nf, 8 * nf), (8 * nf, 4 * nf), (4 * nf, 2 * nf), (2 * nf, nf)]
        if params.num_upsampling_layers == "most":
            widths.append((nf, nf // 2))
        self.blocks = nn.ModuleList(
            SPADEResnetBlock(fin, fout, params.norm, data, spectral=params.spectral_norm, init=params)
            for fin, fout in widths)
        # An upsampling precedes every block except the head; with 'normal' not G_middle_1.
        upsample_before = [False, True, n_up >= 6] + [True] * (len(widths) - 3)
        self.upsamplers = upsamplers(params.upsample, data, upsample_before, widths)
        self.conv_img = conv2d(widths[-1][1], data.image_channels, 3, padding=1, init=params)

    @staticmethod
    def _start_size(params: SPADEGeneratorParams, data: DataInfo) -> tuple[int, int]:
        """(sh, sw) = resolution / 2^n; the aspect ratio follows the data's (H, W)."""
        factor = 2 ** NUM_UPSAMPLINGS[params.num_upsampling_layers]
        h, w = data.resolution
        if h % factor or w % factor:
            raise ganforge.ConfigError(
                f"generator 'spade': data.resolution {h}x{w} must be divisible by 2^"
                f"{NUM_UPSAMPLINGS[params.num_upsampling_layers]} = {factor} with num_upsampling_layers="
                f"'{params.num_upsampling_layers}'")
        return h // factor, w // factor

    @classmethod
    def requirements(cls, params: SPADEGeneratorParams, data: DataInfo) -> frozenset[str]:
        # The deterministic start reads the label map; the norm slot declares its own needs.
        return frozenset() if params.use_vae else semantic.requirements(params.use_instance, data)

    def initial(self, cond: Condition) -> torch.Tensor:
        """The (B, 16 ngf, sh, sw) input of the head block."""
        sh, sw = self.start_size
        if self.params.use_vae:
            z = cond["z"] if "z" in cond else torch.randn(cond.batch_size, self.params.z_dim,
                                                          device=self.conv_img.weight.device)
            return self.fc(z.to(self.conv_img.weight.dtype)).view(-1, 16 * self.params.ngf, sh, sw)
        seg = semantic.semantic_map(cond, self.data, self.params.use_instance, size=(sh, sw))
        return self.fc(seg.to(self.conv_img.weight.dtype))

    def forward(self, cond: Condition) -> torch.Tensor:
        x = self.initial(cond)
        for i, block in enumerate(self.blocks):
            if str(i) in self.upsamplers:
                x = self.upsamplers[str(i)](x, cond)
            x = block(x, cond)
        return torch.tanh(self.conv_img(F.leaky_relu(x, 0.2)))

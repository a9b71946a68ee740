"""The StarGAN v2 generator G(x, s) (paper Sec. 2 and appendix Table 6).

An encoder of pre-activation residual blocks with instance norm halves the resolution
down to 16x16 (from 256x256), two bottleneck blocks follow, and a mirrored decoder of
residual blocks whose normalization layers are conditioned on the style code s (AdaIN in
the paper) brings it back up; ``to_rgb`` is IN -> LReLU -> 1x1 conv. The normalization
is a slot: any registered normalizer (SEAN's, SPADE's ...) can replace AdaIN.

The encoder's down-sampling part (``from_rgb`` and the stride-2 blocks) is swappable:
discriminator reuse (NICE-GAN, `ganforge.reuse`) replaces it by a discriminator's early
layers producing the same embedding; the bottleneck blocks stay the generator's. The
official layout (parameters, state_dict keys, outputs) is unchanged until then.

For CelebA-HQ the paper adds a high-pass path (``w_hpf > 0``): encoder activations at
1/2, 1/4 and 1/8 of the image size, multiplied by face masks, are high-pass filtered and
added to the decoder at the same sizes, so identity details survive; the decoder blocks
then drop their shortcut and the generator gets one more down/up-sampling level. Masks
come from FAN landmark heatmaps (encoder ``stargan_v2_fan``, field ``face_mask``) or from
the Condition's ``mask``.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import ComponentSpec, Condition, DataInfo
from ganforge.reuse import Embedding, SharedEncoder
from ganforge.resample_conv import upsample_conv

from .layers import ResBlock, conv, square_power_of_two


class GeneratorParams(ganforge.Params):
    dim_in: int | None = Field(None, ge=1, description="channels after from_rgb; default 2^14 / image size "
                               "(64 at 256x256), as in the official code")
    max_conv_dim: int = Field(512, ge=1, description="channel cap of the deepest blocks")
    style_dim: int = Field(64, ge=1, description="width of the style code s; the norm inherits it unless set")
    norm: ComponentSpec = ganforge.slot("normalizer", "adain", "style-conditioned normalization in every "
                                        "decoder block (AdaIN in the paper)", inherit=("style_dim",))
    w_hpf: float = Field(0.0, ge=0, description="weight of the high-pass mask path: 0 disables it (AFHQ), "
                         "1 for CelebA-HQ; the filter is divided by it")
    mask_field: Literal["face_mask", "mask"] = Field(
        "face_mask", description="with w_hpf > 0, the Condition field holding the masks: 'face_mask' (B,2,H,W) "
        "from FAN heatmaps, or a binary 'mask' (B,1,H,W) used at every level")


class HighPass(nn.Module):
    """Depthwise 3x3 Laplacian-like filter [[-1,-1,-1],[-1,8,-1],[-1,-1,-1]] / w_hpf."""

    def __init__(self, w_hpf: float):
        super().__init__()
        kernel = torch.full((3, 3), -1.0)
        kernel[1, 1] = 8.0
        # a constant of the architecture, not a weight: kept out of the state_dict
        self.register_buffer("kernel", kernel / w_hpf, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.kernel.to(x.dtype).expand(x.shape[1], 1, 3, 3)
        return F.conv2d(x, weight, padding=1, groups=x.shape[1])


class AdaINResBlock(nn.Module):
    """Decoder block: norm(s) -> LReLU -> (2x nearest up) -> conv, twice; a residual
    block unless the high-pass path is on (then the official code keeps only the
    residual branch, and we build no unused shortcut conv)."""

    def __init__(self, dim_in: int, dim_out: int, norm: ComponentSpec, data: DataInfo, upsample: bool,
                 shortcut: bool):
        super().__init__()
        self.upsample = upsample
        self.conv1 = conv(dim_in, dim_out, 3, 1)
        self.conv2 = conv(dim_out, dim_out, 3, 1)
        self.norm1 = ganforge.build("normalizer", norm, data, num_features=dim_in, check=False, path="generator.norm")
        self.norm2 = ganforge.build("normalizer", norm, data, num_features=dim_out, check=False, path="generator.norm")
        self.use_shortcut = shortcut
        self.skip = conv(dim_in, dim_out, 1, bias=False) if shortcut and dim_in != dim_out else None

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        # the bias-free 1x1 conv, then the nearest upsampling: the official order reversed,
        # the same values (every output pixel is the same dot product) at a quarter of the cost
        if self.skip is not None:
            x = self.skip(x)
        return F.interpolate(x, scale_factor=2, mode="nearest") if self.upsample else x

    def residual(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        x = F.leaky_relu(self.norm1(x, cond), 0.2)
        # upsample then conv, as one transposed conv where that is faster (ganforge.resample_conv)
        x = upsample_conv(self.conv1, x) if self.upsample else self.conv1(x)
        return self.conv2(F.leaky_relu(self.norm2(x, cond), 0.2))

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        out = self.residual(x, cond)
        if self.use_shortcut:
            out = (out + self.shortcut(x)) / math.sqrt(2)
        return out


class StarGANv2Generator(ganforge.Generator):
    """StarGAN v2 generator: translates cond['source'] to the style in its normalizers' condition."""

    Params: ClassVar = GeneratorParams
    requires = frozenset({"source"})
    capabilities = frozenset({"swappable_encoder"})

    def __init__(self, params: GeneratorParams, data: DataInfo):
        super().__init__(params, data)
        size = square_power_of_two(data, "generator 'stargan_v2'", 16 if params.w_hpf == 0 else 32)
        base = params.dim_in or 2 ** 14 // size
        hpf = params.w_hpf > 0
        self.from_rgb = conv(data.image_channels, base, 3, 1)
        self.encoder = nn.ModuleList()
        decoder: list[nn.Module] = []
        dim_in = dim_out = base
        for _ in range(int(math.log2(size)) - 4 + int(hpf)):
            dim_out = min(dim_in * 2, params.max_conv_dim)
            self.encoder.append(ResBlock(dim_in, dim_out, normalize=True, downsample=True))
            decoder.insert(0, AdaINResBlock(dim_out, dim_in, params.norm, data, upsample=True, shortcut=not hpf))
            dim_in = dim_out
        for _ in range(2):  # bottleneck
            self.encoder.append(ResBlock(dim_out, dim_out, normalize=True))
            decoder.insert(0, AdaINResBlock(dim_out, dim_out, params.norm, data, upsample=False, shortcut=not hpf))
        self.decoder = nn.ModuleList(decoder)
        self.to_rgb = nn.Sequential(nn.InstanceNorm2d(base, affine=True), nn.LeakyReLU(0.2),
                                    conv(base, data.image_channels, 1))
        self.hpf = HighPass(params.w_hpf) if hpf else None
        self.shared: SharedEncoder | None = None  # set by share_encoder (discriminator reuse)

    def _downsampling(self) -> list[ResBlock]:
        return [b for b in self.encoder if b.downsample]

    def encoder_embedding(self) -> Embedding:
        """What ``from_rgb`` and the stride-2 blocks produce: the bottleneck's input."""
        down = self._downsampling()
        return Embedding(down[-1].conv2.out_channels, 2 ** len(down))

    def share_encoder(self, encoder: SharedEncoder) -> None:
        """Encode with ``encoder`` (a discriminator's early layers) instead of ``from_rgb``
        and the stride-2 blocks, which are dropped. With the high-pass path, its skips are
        the shared layers' features at 1/2, 1/4 ... of the image size."""
        if self.shared is not None:
            raise ganforge.ConfigError("generator 'stargan_v2' already encodes with a shared encoder")
        down = self._downsampling()
        if self.hpf is not None:
            own = [self.from_rgb.out_channels] + [b.conv2.out_channels for b in down[:-1]]
            for i, channels in enumerate(own):
                got = encoder.min_channels([2 ** i])
                if got != channels:
                    raise ganforge.ConfigError(
                        f"generator 'stargan_v2': the high-pass path needs {channels} channels at stride {2 ** i} "
                        f"from the shared encoder ({encoder.owner}), which gives {got}")
        self.from_rgb = None
        self.encoder = nn.ModuleList(b for b in self.encoder if not b.downsample)
        self.shared = encoder

    @classmethod
    def requirements(cls, params: GeneratorParams, data: DataInfo) -> frozenset[str]:
        return cls.requires | ({params.mask_field} if params.w_hpf > 0 else set())

    def masks(self, cond: Condition, size: int) -> torch.Tensor | None:
        """The mask for the skip at ``size``, or None where the path adds nothing:
        the coarse face mask at 1/8 of the image size, the fine one at 1/4 and 1/2."""
        full = self.data.resolution[0]
        if size not in (full // 2, full // 4, full // 8):
            return None
        m = cond[self.params.mask_field]
        if self.params.mask_field == "face_mask":
            m = m[:, :1] if size == full // 8 else m[:, 1:2]
        return F.interpolate(m, size=(size, size), mode="bilinear", align_corners=False)

    def forward(self, cond: Condition) -> torch.Tensor:
        skips = []
        if self.shared is None:
            x = self.from_rgb(cond["source"])
        else:
            features = self.shared.features(cond["source"], cond)
            x = features[-1]
            if self.hpf is not None:
                skips = [self.shared.at(features, 2 ** i) for i in range(int(math.log2(self.shared.embedding.stride)))]
        for block in self.encoder:
            if block.downsample:
                skips.append(x)
            x = block(x)
        for block in self.decoder:
            x = block(x, cond)
            if block.upsample and self.hpf is not None:
                skip = skips.pop()
                mask = self.masks(cond, x.shape[-1])
                if mask is not None:
                    x = x + self.hpf(mask.to(x.dtype) * skip)
        return self.to_rgb(x)

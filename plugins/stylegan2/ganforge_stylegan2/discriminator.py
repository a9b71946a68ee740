"""The config-f residual discriminator (paper Fig. 7c, Sec. 4.1) with minibatch standard
deviation (ProGAN Sec. 3): fromRGB at full resolution, residual blocks down to 4x4 whose
sum with the 1x1 skip is scaled by 1/sqrt(2), then stddev feature, 3x3 conv and two
fully connected layers to one logit per image."""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo, DiscriminatorOutput
from ganforge.reuse import Embedding, SharedLayers

from .generator import square_power_of_two
from .layers import EqualConv2d, EqualLinear


class StyleGAN2DiscriminatorParams(ganforge.Params):
    channel_base: int = Field(32768, ge=1, description="channels(res) = min(channel_max, channel_base // res)")
    channel_max: int = Field(512, ge=1, description="cap on the channels of any layer")
    blur_kernel: tuple[float, ...] = Field((1, 3, 3, 1), description="FIR filter before each downsampling")
    mbstd_group_size: int = Field(4, ge=1, description="minibatch stddev group (min with the batch)")
    mbstd_num_channels: int = Field(1, ge=1, description="minibatch stddev features")


class ResidualBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, blur_kernel):
        super().__init__()
        self.conv0 = EqualConv2d(in_ch, in_ch, 3)
        self.conv1 = EqualConv2d(in_ch, out_ch, 3, down=True, blur_kernel=blur_kernel)
        self.skip = EqualConv2d(in_ch, out_ch, 1, down=True, bias=False, activate=False, blur_kernel=blur_kernel)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.conv1(self.conv0(x)) + self.skip(x)) / math.sqrt(2)


def minibatch_stddev(x: torch.Tensor, group_size: int, num_channels: int) -> torch.Tensor:
    """Append the std over groups of samples, averaged over channels and pixels, as
    ``num_channels`` extra feature maps (lets D see the variety of the batch)."""
    b, c, h, w = x.shape
    g = min(group_size, b)
    if b % g:
        raise ValueError(f"stylegan2 discriminator: batch {b} is not divisible by the stddev group {g}")
    y = x.reshape(g, -1, num_channels, c // num_channels, h, w)
    y = (y.var(dim=0, unbiased=False) + 1e-8).sqrt().mean(dim=(2, 3, 4))  # (B/g, F)
    y = y.reshape(-1, num_channels, 1, 1).repeat(g, 1, h, w)
    return torch.cat([x, y], dim=1)


class StyleGAN2Discriminator(ganforge.Discriminator):
    """StyleGAN2 config-f residual discriminator with minibatch standard deviation."""

    Params: ClassVar = StyleGAN2DiscriminatorParams
    capabilities = frozenset({"reuse"})

    def __init__(self, params: StyleGAN2DiscriminatorParams, data: DataInfo):
        super().__init__(params, data)
        resolution = square_power_of_two(data, "discriminator stylegan2")
        res = [2 ** i for i in range(int(math.log2(resolution)), 1, -1)]  # resolution ... 4
        ch = {r: min(params.channel_max, params.channel_base // r) for r in res}
        self._widths = [ch[r] for r in res]  # channels at stride 1, 2, 4 ...
        self.from_rgb = EqualConv2d(data.image_channels, ch[resolution], 1)
        self.blocks = nn.Sequential(*(ResidualBlock(ch[r], ch[r // 2], params.blur_kernel) for r in res[:-1]))
        self.final_conv = EqualConv2d(ch[4] + params.mbstd_num_channels, ch[4], 3)
        self.final_fc = EqualLinear(ch[4] * 16, ch[4], activate=True)
        self.out = EqualLinear(ch[4], 1)

    def reuse_layers(self) -> SharedLayers:
        """``from_rgb`` (stride 1), then each residual block (stride 2, 4 ...), for a
        generator to encode with (discriminator reuse; `ganforge.reuse`)."""
        stages = [(self.from_rgb, Embedding(self._widths[0], 1))]
        stages += [(b, Embedding(self._widths[i + 1], 2 ** (i + 1))) for i, b in enumerate(self.blocks)]
        return SharedLayers(stages)

    def forward(self, image: torch.Tensor, cond: Condition) -> DiscriminatorOutput:
        x = self.blocks(self.from_rgb(image))
        x = minibatch_stddev(x, self.params.mbstd_group_size, self.params.mbstd_num_channels)
        x = self.final_conv(x)
        return DiscriminatorOutput(scores=[self.out(self.final_fc(x.flatten(1)))])

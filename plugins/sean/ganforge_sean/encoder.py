"""SEAN's style encoder (Zhu et al. 2020, Sec. 3.1, Fig. 3; "Zencoder" in the official code).

A small conv net maps the image to a D-channel feature map at half resolution
(two stride-2 convs down, one transposed conv up, bottleneck-free); region-wise average
pooling over the label map then gives the style matrix ST: one D-dimensional code per
semantic class, zero for classes absent from the image.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo
from ganforge_spade.layers import InitParams, conv2d, init_layer

from . import regions


class SEANStyleParams(InitParams):
    style_length: int = Field(512, ge=1, description="D: width of each region's style code")
    ngf: int = Field(32, ge=1, description="channels of the first conv; doubled at each down- and upsampling")
    n_downsampling: int = Field(2, ge=1, description="stride-2 convs; one transposed conv follows, so the "
                                                     "codes are pooled at 1/2^(n-1) of the image resolution")


def _unit(layer: nn.Module, channels: int) -> list[nn.Module]:
    """layer -> InstanceNorm (no affine) -> LeakyReLU(0.2)."""
    return [layer, nn.InstanceNorm2d(channels, affine=False), nn.LeakyReLU(0.2)]


class SEANStyleEncoder(ganforge.Encoder):
    """SEAN style encoder: image features averaged over each semantic region give one style code per class."""

    Params: ClassVar = SEANStyleParams
    requires = frozenset({"label"})
    provides = frozenset({"region_style"})

    def __init__(self, params: SEANStyleParams, data: DataInfo):
        super().__init__(params, data)
        self.num_classes = regions.style_classes(data, "encoder 'sean_style'")
        nf, n = params.ngf, params.n_downsampling
        layers = [nn.ReflectionPad2d(1), *_unit(conv2d(data.image_channels, nf, 3, init=params), nf)]
        for i in range(n):
            layers += _unit(conv2d(nf * 2 ** i, nf * 2 ** (i + 1), 3, stride=2, padding=1, init=params),
                            nf * 2 ** (i + 1))
        up = nn.ConvTranspose2d(nf * 2 ** n, nf * 2 ** (n + 1), 3, stride=2, padding=1, output_padding=1)
        layers += _unit(init_layer(up, params.init_type, params.init_gain), nf * 2 ** (n + 1))
        layers += [nn.ReflectionPad2d(1), conv2d(nf * 2 ** (n + 1), params.style_length, 3, init=params), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def features(self, image: torch.Tensor) -> torch.Tensor:
        """(B, D, H', W') per-pixel style features before pooling, values in (-1, 1)."""
        return self.model(image)

    def forward(self, image: torch.Tensor, cond: Condition) -> dict[str, torch.Tensor]:
        codes = self.features(image)
        masks = regions.region_masks(cond, self.num_classes, tuple(codes.shape[-2:]))
        return {"region_style": regions.masked_average(codes, masks)}

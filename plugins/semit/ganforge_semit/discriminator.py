"""SEMIT's discriminator: FUNIT's multi-task patch discriminator (official
``GPPatchMcResDis``; the octave variant in the official file is never used).

Pre-activation residual blocks halve the resolution four times; a 1x1 convolution gives
one patch map per source class and the map of each sample's own class is its score.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge


class ActFirstResBlock(nn.Module):
    """LReLU-conv3x3-LReLU-conv3x3 (reflection padding) plus a 1x1 shortcut when widths differ."""

    def __init__(self, fin: int, fout: int):
        super().__init__()
        hidden = min(fin, fout)
        self.conv_0 = nn.Conv2d(fin, hidden, 3)
        self.conv_1 = nn.Conv2d(hidden, fout, 3)
        self.conv_s = nn.Conv2d(fin, fout, 1, bias=False) if fin != fout else None

    @staticmethod
    def _conv(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
        return conv(F.pad(F.leaky_relu(x, 0.2), (1, 1, 1, 1), mode="reflect"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.conv_s is None else self.conv_s(x)
        return shortcut + self._conv(self.conv_1, self._conv(self.conv_0, x))


class SEMITDiscriminatorParams(ganforge.Params):
    nf: int = Field(64, ge=1, description="channels of the first layer; doubled per stage up to 1024")
    n_res_blks: int = Field(10, ge=2, multiple_of=2, description="residual blocks (two per stage)")
    field: Literal["class_label", "domain"] = Field("class_label", description="the label selecting the output map")


class SEMITDiscriminator(ganforge.Discriminator):
    """FUNIT's class-conditional patch discriminator; ``extra['features']`` feeds feature matching."""

    capabilities = frozenset({"features"})

    Params: ClassVar = SEMITDiscriminatorParams

    def __init__(self, params: SEMITDiscriminatorParams, data: ganforge.DataInfo):
        super().__init__(params, data)
        classes = data.num_classes if params.field == "class_label" else data.num_domains
        if classes < 1:
            raise ganforge.ConfigError(f"discriminator 'semit': the data has no {params.field} classes")
        nf = params.nf
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(data.image_channels, nf, 7)]
        for stage in range(params.n_res_blks // 2):
            out = min(nf * 2, 1024)
            layers += [ActFirstResBlock(nf, nf), ActFirstResBlock(nf, out)]
            if stage < params.n_res_blks // 2 - 1:
                layers += [nn.ReflectionPad2d(1), nn.AvgPool2d(3, 2)]
                nf = out
        self.cnn_f = nn.Sequential(*layers)
        self.cnn_c = nn.Conv2d(out, classes, 1)

    @classmethod
    def requirements(cls, params: SEMITDiscriminatorParams, data: ganforge.DataInfo) -> frozenset[str]:
        return frozenset({params.field})

    def forward(self, image: torch.Tensor, cond: ganforge.Condition) -> ganforge.DiscriminatorOutput:
        features = self.cnn_f(image)
        maps = self.cnn_c(F.leaky_relu(features, 0.2))
        label = cond[self.params.field]
        score = maps[torch.arange(len(label), device=label.device), label.long()].unsqueeze(1)
        return ganforge.DiscriminatorOutput(scores=[score], features=[[features]], extra={"features": features})

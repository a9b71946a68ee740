"""The official discriminator: the SN-GAN ResNet discriminator (Miyato et al. 2018, the
pytorch_spectral_normalization_gan model_resnet.py the official repo vendors): an optimised
first block, two down-sampling and one plain residual block of width 128, ReLU, global
average pooling and a spectrally normalised linear score. With ``num_labels`` > 1 the linear
layer has one output per label and the score is the one of the sample's ``cond['domain']``
(the official ``nlabels: 2``: 0 = scene with objects, 1 = pure background)."""

from __future__ import annotations

import math
from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

import ganforge
from ganforge import Condition, DataInfo, DiscriminatorOutput


def sn_conv(fin: int, fout: int, k: int, gain: float) -> nn.Module:
    conv = nn.Conv2d(fin, fout, k, padding=k // 2)
    nn.init.xavier_uniform_(conv.weight, gain)
    return spectral_norm(conv)


class DBlock(nn.Module):
    """Pre-activation residual block; ``first`` skips the ReLU on the raw image and pools the
    shortcut before its 1x1 conv (SN-GAN's optimised block)."""

    def __init__(self, fin: int, fout: int, down: bool, first: bool = False):
        super().__init__()
        self.down, self.first = down, first
        self.conv1, self.conv2 = sn_conv(fin, fout, 3, 1.0), sn_conv(fout, fout, 3, 1.0)
        self.bypass = sn_conv(fin, fout, 1, math.sqrt(2)) if (down or fin != fout) else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x if self.first else F.relu(x)
        h = self.conv2(F.relu(self.conv1(h)))
        s = x
        if self.down:
            h = F.avg_pool2d(h, 2)
            s = self.bypass(F.avg_pool2d(s, 2)) if self.first else F.avg_pool2d(self.bypass(s), 2)
        elif self.bypass is not None:
            s = self.bypass(s)
        return h + s


class SNResNetParams(ganforge.Params):
    width: int = Field(128, ge=1, description="channels of every block (official DISC_SIZE 128)")
    num_labels: int = Field(1, ge=1, description="score heads, picked by cond['domain'] (official nlabels)")


class SNResNetDiscriminator(ganforge.Discriminator):
    """SN-ResNet discriminator: one score per image (of its label's head)."""

    Params: ClassVar = SNResNetParams

    @classmethod
    def requirements(cls, params: SNResNetParams, data: DataInfo) -> frozenset[str]:
        return frozenset({"domain"}) if params.num_labels > 1 else frozenset()

    def __init__(self, params: SNResNetParams, data: DataInfo):
        super().__init__(params, data)
        w = params.width
        self.blocks = nn.Sequential(DBlock(data.image_channels, w, down=True, first=True),
                                    DBlock(w, w, down=True), DBlock(w, w, down=True), DBlock(w, w, down=False))
        fc = nn.Linear(w, params.num_labels)
        nn.init.xavier_uniform_(fc.weight, 1.0)
        self.fc = spectral_norm(fc)

    def forward(self, image: torch.Tensor, cond: Condition) -> DiscriminatorOutput:
        scores = self.fc(F.relu(self.blocks(image)).mean(dim=(2, 3)))
        if self.params.num_labels > 1:
            label = cond["domain"].long()
            if label.shape != (image.shape[0],) or not 0 <= int(label.min()) <= int(label.max()) < self.params.num_labels:
                raise ValueError(f"discriminator 'sngan_resnet': cond['domain'] must be (B,) labels in "
                                 f"[0, {self.params.num_labels}), got {tuple(label.shape)} "
                                 f"in [{int(label.min())}, {int(label.max())}]")
            scores = scores.gather(1, label[:, None])
        return DiscriminatorOutput(scores=[scores])

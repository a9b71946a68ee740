"""HiDT's discriminators (paper Sec. 3.2): an unconditional one and one conditioned on
the style code through projection (Miyato and Koyama 2018), both trained with the
least-squares GAN loss on the translated and the random-style images.

The official release holds the translation network only, so the architecture of each
is our choice, stated in the README: MUNIT's multi-scale patch discriminator (stride-2
4x4 convs with leaky ReLU, a 1x1 conv to one score per patch, the image average-pooled
between scales). The conditional one adds <embed(s), h> to each patch score, h being the
last hidden features.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo, DiscriminatorOutput
from ganforge.reuse import Embedding, SharedLayers

from .layers import ConvBlock


class HiDTDiscriminatorParams(ganforge.Params):
    dim: int = Field(64, ge=1, description="channels of the first conv of each scale (MUNIT 64)")
    n_layers: int = Field(4, ge=1, description="stride-2 convs per scale (MUNIT 4)")
    num_scales: int = Field(3, ge=1, description="image scales (MUNIT 3)")
    style_dim: int = Field(3, ge=1, description="width of the style code the conditional D projects onto")
    conditional: bool = Field(True, description="add the style-conditioned projection discriminator")


class PatchScale(nn.Module):
    """One scale: convs down to patch features h, a 1x1 conv to scores, an optional projection."""

    def __init__(self, in_ch: int, p: HiDTDiscriminatorParams, project: bool):
        super().__init__()
        dim = p.dim
        layers = [ConvBlock(in_ch, dim, 4, 2, 1, activation="lrelu")]
        for _ in range(p.n_layers - 1):
            layers.append(ConvBlock(dim, 2 * dim, 4, 2, 1, activation="lrelu"))
            dim *= 2
        self.body = nn.Sequential(*layers)
        self.score = nn.Conv2d(dim, 1, 1)
        self.embed = nn.Linear(p.style_dim, dim, bias=False) if project else None

    def forward(self, x: torch.Tensor, style: torch.Tensor | None) -> torch.Tensor:
        h = self.body(x)
        out = self.score(h)
        if self.embed is not None:
            out = out + (self.embed(style.to(h.dtype))[:, :, None, None] * h).sum(1, keepdim=True)
        return out


class MultiScale(nn.Module):
    def __init__(self, in_ch: int, p: HiDTDiscriminatorParams, project: bool):
        super().__init__()
        self.scales = nn.ModuleList(PatchScale(in_ch, p, project) for _ in range(p.num_scales))

    def forward(self, x: torch.Tensor, style: torch.Tensor | None) -> list[torch.Tensor]:
        scores = []
        for i, scale in enumerate(self.scales):
            if i:
                x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            scores.append(scale(x, style))
        return scores


class HiDTDiscriminator(ganforge.Discriminator):
    """Unconditional and style-projection multi-scale patch discriminators; scores of both, unconditional first."""

    Params: ClassVar = HiDTDiscriminatorParams
    capabilities = frozenset({"reuse"})

    def __init__(self, params: HiDTDiscriminatorParams, data: DataInfo):
        super().__init__(params, data)
        h, w = data.resolution
        smallest = min(h, w) // 2 ** (params.num_scales - 1 + params.n_layers)
        if smallest < 1:
            raise ganforge.ConfigError(
                f"discriminator 'hidt': {params.num_scales} scales of {params.n_layers} stride-2 convs need images "
                f"of at least {2 ** (params.num_scales - 1 + params.n_layers)} px, the data has {h}x{w}; lower "
                "num_scales or n_layers")
        self.unconditional = MultiScale(data.image_channels, params, project=False)
        self.conditional = MultiScale(data.image_channels, params, project=True) if params.conditional else None

    def reuse_layers(self) -> SharedLayers:
        """The unconditional discriminator's full-scale convs (each halving the size), for a
        generator to encode with (discriminator reuse; `ganforge.reuse`)."""
        body = self.unconditional.scales[0].body
        return SharedLayers([(layer, Embedding(self.params.dim * 2 ** i, 2 ** (i + 1)))
                             for i, layer in enumerate(body)])

    @classmethod
    def requirements(cls, params: HiDTDiscriminatorParams, data: DataInfo) -> frozenset[str]:
        return frozenset({"style"}) if params.conditional else frozenset()

    def forward(self, image: torch.Tensor, cond: Condition) -> DiscriminatorOutput:
        scores = self.unconditional(image, None)
        if self.conditional is not None:
            scores = scores + self.conditional(image, cond["style"])
        return DiscriminatorOutput(scores=scores)

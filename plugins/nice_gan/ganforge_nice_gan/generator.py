"""The NICE-GAN generator: a decoder of the source domain's discriminator embedding
(paper Sec. 3.1; the official ResnetGenerator without an encoder of its own).

From E(x) (2 ch channels at 1/4 of the image size): a 3x3 conv to 4 ch channels with ILN,
an MLP that turns the features into the AdaILN parameters gamma and beta, n_res residual
blocks with AdaILN, two sub-pixel up-sampling stages (conv-ILN-ReLU, 1x1 conv to 4x the
channels, pixel shuffle, ILN-ReLU) and a 7x7 conv with tanh. The *full* model's MLP reads
the whole flattened feature map (its first layer alone has (H/4)(W/4) 16 ch^2 weights:
268M at 256x256); the *light* model reads its global average instead.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo

from .layers import ILN, AdaILNResBlock


class GeneratorParams(ganforge.Params):
    ch: int = Field(64, ge=1, description="base channels (official --ch); must equal the discriminator's ch, whose "
                    "embedding (2 ch channels) this decodes")
    n_res: int = Field(6, ge=0, description="AdaILN residual blocks (official --n_res)")
    light: bool = Field(False, description="light model: the gamma/beta MLP reads the globally pooled features "
                        "(official --light True)")


def upsample(in_ch: int) -> nn.Sequential:
    """Halve the channels, then double the size by a 1x1 conv and pixel shuffle."""
    out = in_ch // 2
    return nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(in_ch, out, 3, bias=False), ILN(out), nn.ReLU(),
                         nn.Conv2d(out, 4 * out, 1), nn.PixelShuffle(2), ILN(out), nn.ReLU())


class NICEGenerator(ganforge.Generator):
    """NICE-GAN decoder: translates the source discriminator's embedding (field 'embedding') to the target domain."""

    Params: ClassVar = GeneratorParams
    requires = frozenset({"embedding"})

    def __init__(self, params: GeneratorParams, data: DataInfo):
        super().__init__(params, data)
        ch, h, w = params.ch, data.resolution[0] // 4, data.resolution[1] // 4
        dim = 4 * ch
        self.embedding_shape = (2 * ch, h, w)  # what E gives for an image of the data's size
        self.inp = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(2 * ch, dim, 3), ILN(dim), nn.ReLU())
        mlp_in = dim if params.light else h * w * dim
        self.mlp = nn.Sequential(nn.Linear(mlp_in, dim, bias=False), nn.ReLU(),
                                 nn.Linear(dim, dim, bias=False), nn.ReLU())
        self.gamma = nn.Linear(dim, dim, bias=False)
        self.beta = nn.Linear(dim, dim, bias=False)
        self.blocks = nn.ModuleList(AdaILNResBlock(dim) for _ in range(params.n_res))
        self.up = nn.Sequential(upsample(dim), upsample(dim // 2))
        self.to_rgb = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(ch, data.image_channels, 7, bias=False), nn.Tanh())

    def decode(self, embedding: torch.Tensor) -> torch.Tensor:
        """G(E(x)): an image in [-1, 1] at 4x the embedding's size."""
        c, h, w = self.embedding_shape
        if embedding.dim() != 4 or embedding.shape[1] != c or (not self.params.light and embedding.shape[2:] != (h, w)):
            size = "H/4, W/4" if self.params.light else f"{h}, {w}"
            raise ValueError(f"generator 'nice_gan' decodes (B, {c}, {size}) embeddings (2 ch channels of its "
                             f"discriminator at 1/4 of the image size), got {tuple(embedding.shape)}")
        x = self.inp(embedding)
        style = F.adaptive_avg_pool2d(x, 1) if self.params.light else x
        style = self.mlp(style.flatten(1))
        gamma, beta = self.gamma(style), self.beta(style)
        for block in self.blocks:
            x = block(x, gamma, beta)
        return self.to_rgb(self.up(x))

    def forward(self, cond: Condition) -> torch.Tensor:
        return self.decode(cond["embedding"])

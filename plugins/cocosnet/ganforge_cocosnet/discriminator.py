"""CoCosNet's discriminator: pix2pixHD's multi-scale PatchGAN on [label map, image] as
SPADE uses it, with the official CoCosNet differences -- 1-pixel padding of the 4x4 convs
and a self-attention block before the last hidden layer (``--use_attention``).

With ``lookup`` (default) the full-scale first conv reads the label ids instead of the
one-hot map (`ganforge.onehot_conv.OneHotConv2d`: same weights, outputs equal up to fp32
summation order), and the image beside them is a small dense conv; the coarser scale
still sees the pooled, no longer one-hot, map densely.

The official network also builds a segmentation decoder (``dec``) that its forward never
calls; it is left out here (see the README's parameter counts)."""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo, DiscriminatorOutput
from ganforge_spade import semantic
from ganforge_spade.layers import InitParams, NormType, conv2d, onehot_conv2d, param_free_norm

from .layers import SelfAttention

KERNEL, PADDING = 4, 1


class CoCosNetDiscriminatorParams(InitParams):
    ndf: int = Field(64, ge=1, description="channels of the first conv of each discriminator")
    n_layers: int = Field(4, ge=2, description="conv layers before the score layer (--n_layers_D)")
    num_D: int = Field(2, ge=1, description="number of scales")
    norm: NormType = Field("instance", description="norm of the hidden layers (norm_D spectralinstance)")
    spectral_norm: bool = Field(True, description="spectral norm on the hidden layers")
    use_attention: bool = Field(True, description="self-attention before the last hidden layer")
    lookup: bool = semantic.lookup_field()


class PatchDiscriminator(nn.Module):
    """One scale; ``model<n>`` as in the official layout: [conv (+ norm)] + LeakyReLU, score conv last."""

    def __init__(self, in_ch: int, p: CoCosNetDiscriminatorParams, onehot_classes: int = 0):
        super().__init__()
        nf = p.ndf
        first = (onehot_conv2d(onehot_classes, in_ch, nf, KERNEL, stride=2, padding=PADDING, init=p) if onehot_classes
                 else conv2d(in_ch, nf, KERNEL, stride=2, padding=PADDING, init=p))
        self.model0 = nn.Sequential(first, nn.LeakyReLU(0.2))
        for n in range(1, p.n_layers):
            nf_prev, nf = nf, min(nf * 2, 512)
            if n == p.n_layers - 1 and p.use_attention:
                self.attn = SelfAttention(nf_prev, p.spectral_norm, p)
            conv = conv2d(nf_prev, nf, KERNEL, stride=1 if n == p.n_layers - 1 else 2, padding=PADDING,
                          bias=p.norm == "none", spectral=p.spectral_norm, init=p)
            unit = nn.Sequential(conv, param_free_norm(p.norm, nf)) if p.norm != "none" else conv
            self.add_module(f"model{n}", nn.Sequential(unit, nn.LeakyReLU(0.2)))
        self.add_module(f"model{p.n_layers}", nn.Sequential(conv2d(nf, 1, KERNEL, padding=PADDING, init=p)))
        self.n_layers = p.n_layers

    def forward(self, x: torch.Tensor | None, first: torch.Tensor | None = None) -> list[torch.Tensor]:
        """Every layer's output on ``x``; ``first``: model0's output, computed by the caller (a lookup)."""
        outputs = []
        for n in range(self.n_layers + 1):
            if n == 0 and first is not None:
                x = first
            else:
                if n == self.n_layers - 1 and hasattr(self, "attn"):
                    x = self.attn(x)
                x = getattr(self, f"model{n}")(x)
            outputs.append(x)
        return outputs


class CoCosNetDiscriminator(ganforge.Discriminator):
    """Multi-scale PatchGAN with self-attention on label map + image, with hidden features for feature matching."""

    capabilities = frozenset({"features"})

    Params: ClassVar = CoCosNetDiscriminatorParams
    requires = frozenset({"label"})

    def __init__(self, params: CoCosNetDiscriminatorParams, data: DataInfo):
        super().__init__(params, data)
        in_ch = semantic.semantic_nc(data, use_instance=False) + data.image_channels
        for i in range(params.num_D):  # the full scale's first conv can run as a lookup
            classes = semantic.onehot_classes(data) if i == 0 else 0
            self.add_module(f"discriminator_{i}", PatchDiscriminator(in_ch, params, classes))

    def forward(self, image: torch.Tensor, cond: Condition) -> DiscriminatorOutput:
        size = tuple(image.shape[-2:])
        seg = semantic.semantic_map(cond, self.data, use_instance=False, size=size)  # checks the ids
        x = torch.cat([seg.to(image.dtype), image], dim=1)
        first = None
        if self.params.lookup:
            ids, _ = semantic.semantic_ids(cond, self.data, False, size)
            model0 = self.discriminator_0.model0
            first = model0[1](model0[0].lookup(ids, image))
        scores, features = [], []
        for i in range(self.params.num_D):
            if i:
                x = F.avg_pool2d(x, kernel_size=3, stride=2, padding=1, count_include_pad=False)
            *hidden, score = getattr(self, f"discriminator_{i}")(x, first if i == 0 else None)
            scores.append(score)
            features.append(hidden)
        return DiscriminatorOutput(scores=scores, features=features)

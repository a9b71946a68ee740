"""pix2pixHD's multi-scale patch discriminator, as SPADE uses it (Park et al. 2019, Sec. 4;
Wang et al. 2018, Sec. 3.2).

``num_D`` identical PatchGAN discriminators see the image concatenated with the semantic
map at full, 1/2, 1/4 ... resolution. Each returns its patch score map and the
activations of its hidden layers, which the feature matching loss compares.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo, DiscriminatorOutput

from . import semantic
from .layers import ConvNormAct, InitParams, NormType

KERNEL, PADDING = 4, 2  # pix2pixHD: kw = 4, padw = ceil((kw - 1) / 2)


class PatchParams(InitParams):
    """The multi-scale PatchGAN's shape, whatever map conditions it."""

    ndf: int = Field(64, ge=1, description="channels of the first conv of each discriminator")
    n_layers: int = Field(4, ge=1, description="conv layers before the score layer (SPADE's --n_layers_D)")
    num_D: int = Field(2, ge=1, description="number of scales")
    max_channels: int = Field(512, ge=1, description="channel cap of the hidden layers")
    norm: NormType = Field("instance", description="norm of the hidden layers (norm_D 'spectralinstance')")
    spectral_norm: bool = Field(True, description="spectral norm on the hidden layers")
    last_stride: int = Field(1, ge=1, le=2, description="stride of the last hidden conv: 1 in SPADE, 2 in SEAN's "
                                                        "official discriminator (stride 2 in every hidden conv)")
    use_instance: bool | None = semantic.use_instance_field()


class MultiscalePatchParams(PatchParams):
    lookup: bool = Field(True, description="compute the first conv at full scale over the one-hot label map as an "
                                           "exact lookup (same weights, faster); false: a dense conv")


class NLayerDiscriminator(nn.Module):
    """One PatchGAN: a stride-2 conv, n_layers-1 normalised convs (the last of stride
    ``last_stride``, 1 in SPADE), then a 1-channel score conv; 70x70 receptive field at
    n_layers = 3."""

    def __init__(self, in_ch: int, params: PatchParams, onehot_classes: int = 0):
        super().__init__()
        nf = params.ndf
        layers = [ConvNormAct(in_ch, nf, KERNEL, 2, PADDING, norm="none", spectral=False, activation=True,
                              init=params, onehot_classes=onehot_classes)]
        for n in range(1, params.n_layers):
            nf_prev, nf = nf, min(nf * 2, params.max_channels)
            stride = params.last_stride if n == params.n_layers - 1 else 2
            layers.append(ConvNormAct(nf_prev, nf, KERNEL, stride, PADDING, norm=params.norm,
                                      spectral=params.spectral_norm, activation=True, init=params))
        layers.append(ConvNormAct(nf, 1, KERNEL, 1, PADDING, norm="none", spectral=False, activation=False,
                                  init=params))
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor, start: int = 0) -> list[torch.Tensor]:
        """Every layer's output from layer ``start`` on; the last is the score map."""
        outputs = []
        for layer in self.layers[start:]:
            x = layer(x)
            outputs.append(x)
        return outputs


class MultiscalePatchDiscriminator(ganforge.Discriminator):
    """pix2pixHD multi-scale PatchGAN on image + semantic map, with hidden features for feature matching."""

    capabilities = frozenset({"features"})

    Params: ClassVar = MultiscalePatchParams
    requires = frozenset({"label"})

    def __init__(self, params: MultiscalePatchParams, data: DataInfo):
        super().__init__(params, data)
        in_ch = semantic.semantic_nc(data, params.use_instance) + data.image_channels
        # the first conv can be a lookup when its input leads with a one-hot label map
        classes = semantic.onehot_classes(data) if isinstance(params, MultiscalePatchParams) else 0
        self.scales = nn.ModuleList(NLayerDiscriminator(in_ch, params, classes) for _ in range(params.num_D))

    @classmethod
    def requirements(cls, params: MultiscalePatchParams, data: DataInfo) -> frozenset[str]:
        return semantic.requirements(params.use_instance, data)

    def forward(self, image: torch.Tensor, cond: Condition) -> DiscriminatorOutput:
        size = tuple(image.shape[-2:])
        seg = semantic.semantic_map(cond, self.data, self.params.use_instance, size=size)
        x = torch.cat([seg.to(image.dtype), image], dim=1)  # SPADE's order: semantics, then image
        if not self.params.lookup:
            return self.score(x)
        # The full-scale first conv reads the label ids; the coarser scales see the pooled
        # (no longer one-hot) map densely.
        ids, edges = semantic.semantic_ids(cond, self.data, self.params.use_instance, size)
        first = self.scales[0].layers[0]
        dense = image if edges is None else torch.cat([edges.to(image.dtype), image], dim=1)
        return self.score(x, first=first.act(first.norm(first.conv.lookup(ids, dense))))

    def score(self, x: torch.Tensor, first: torch.Tensor | None = None) -> DiscriminatorOutput:
        """Every scale's scores and hidden features for the conditioned input ``x``,
        downsampled by 2 between scales (subclasses change only what ``x`` holds).
        ``first``: the full scale's first layer output when computed already."""
        scores, features = [], []
        for i, discriminator in enumerate(self.scales):
            if i:
                x = F.avg_pool2d(x, kernel_size=3, stride=2, padding=1, count_include_pad=False)
            if i == 0 and first is not None:
                *hidden, score = [first, *discriminator(first, start=1)]
            else:
                *hidden, score = discriminator(x)
            scores.append(score)
            features.append(hidden)
        return DiscriminatorOutput(scores=scores, features=features)

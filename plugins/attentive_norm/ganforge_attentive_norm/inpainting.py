"""The paper's inpainting network (authors' TensorFlow code, ``inpaint-attnorm/net/network.py``).

A coarse-to-fine generator in the style of Yu et al.'s contextual-attention net: a coarse
encoder-decoder with dilated convs; then a refinement stage with two encoder branches —
one of dilated convs ("hallucination"), one in which AN replaces contextual attention
(conv -> AN -> ELU at 1/4 resolution, the slot ``attention``) — concatenated and decoded.
All convs are 3x3 (5x5 first) with ELU; input is [incomplete image, ones, mask].

Discriminators (WGAN-GP): a global conv net on the whole image and a patch net whose
scores are averaged inside the (pooled) hole, as the TF code's free-form-mask branch.
The TF code's global D calls a ``self_attention`` that the release never defines; we build
the "original implementation" it left commented out (no attention) and say so in the README.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import ComponentSpec, Condition, DataInfo


def conv(cin: int, cout: int, k: int = 3, stride: int = 1, dilation: int = 1) -> nn.Conv2d:
    """TF 'SAME' padding for odd kernels (stride 2 pads the same with even sizes)."""
    return nn.Conv2d(cin, cout, k, stride=stride, padding=dilation * (k // 2), dilation=dilation)


def elu_stack(specs: list[tuple[int, int, int, int, int]]) -> nn.ModuleList:
    """(cin, cout, kernel, stride, dilation) per conv; each conv is followed by ELU."""
    return nn.ModuleList(conv(*s) for s in specs)


def encoder_specs(cin: int, c: int, dilated: bool) -> list[tuple[int, int, int, int, int]]:
    """conv1..conv6 (two stride-2 downsamplings) and, if ``dilated``, conv7..conv10 (dilation 2, 4, 8, 16)."""
    specs = [(cin, c, 5, 1, 1), (c, 2 * c, 3, 2, 1), (2 * c, 2 * c, 3, 1, 1), (2 * c, 4 * c, 3, 2, 1),
             (4 * c, 4 * c, 3, 1, 1), (4 * c, 4 * c, 3, 1, 1)]
    return specs + ([(4 * c, 4 * c, 3, 1, d) for d in (2, 4, 8, 16)] if dilated else [])


class Decoder(nn.Module):
    """conv11, conv12, up, conv13, conv14, up, conv15, conv16 (ELU) and conv18 -> RGB in [-1, 1]."""

    def __init__(self, cin: int, c: int, out_ch: int):
        super().__init__()
        self.pre = elu_stack([(cin, 4 * c, 3, 1, 1), (4 * c, 4 * c, 3, 1, 1)])
        self.mid = elu_stack([(4 * c, 2 * c, 3, 1, 1), (2 * c, 2 * c, 3, 1, 1)])
        self.post = elu_stack([(2 * c, c, 3, 1, 1), (c, c // 2, 3, 1, 1)])
        self.to_rgb = conv(c // 2, out_ch)

    def forward(self, x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        for layer in self.pre:
            x = F.elu(layer(x))
        x = F.interpolate(x, size=(size[0] // 2, size[1] // 2), mode="nearest")
        for layer in self.mid:
            x = F.elu(layer(x))
        x = F.interpolate(x, size=size, mode="nearest")
        for layer in self.post:
            x = F.elu(layer(x))
        return self.to_rgb(x).clamp(-1, 1)


def run_stack(layers: nn.ModuleList, x: torch.Tensor) -> torch.Tensor:
    for layer in layers:
        x = F.elu(layer(x))
    return x


class InpaintingParams(ganforge.Params):
    cnum: int = Field(32, ge=2, description="base width (TF g_cnum 32)")
    attention: ComponentSpec = ganforge.slot("normalizer", "attentive_norm",
                                             "the long-range module of the refinement's second branch (after sconv6)")


class InpaintingGenerator(ganforge.Generator):
    """Two-stage inpainting generator with AN in the refinement stage (the TF code's build_generator)."""

    Params: ClassVar = InpaintingParams
    requires = frozenset({"masked_image", "mask"})

    def __init__(self, params: InpaintingParams, data: DataInfo):
        super().__init__(params, data)
        c, ch = params.cnum, data.image_channels
        h, w = data.resolution
        if h % 4 or w % 4:
            raise ganforge.ConfigError(f"generator 'an_inpainting': data.resolution {h}x{w} must be divisible by 4")
        self.coarse_enc = elu_stack(encoder_specs(ch + 2, c, dilated=True))
        self.coarse_dec = Decoder(4 * c, c, ch)
        self.hallu_enc = elu_stack(encoder_specs(ch + 2, c, dilated=True))
        specs = encoder_specs(ch + 2, c, dilated=False)
        self.an_enc = elu_stack(specs[:-1])
        self.sconv6 = conv(4 * c, 4 * c)  # no activation: AN sits between conv and ELU
        self.attention = ganforge.build("normalizer", params.attention, data, path="generator.attention",
                                        check=False, num_features=4 * c)
        self.an_post = elu_stack([(4 * c, 4 * c, 3, 1, 1), (4 * c, 4 * c, 3, 1, 1)])
        self.fine_dec = Decoder(8 * c, c, ch)

    @staticmethod
    def _inputs(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return torch.cat([image, torch.ones_like(mask), mask], 1)

    def stages(self, cond: Condition) -> tuple[torch.Tensor, torch.Tensor]:
        """(coarse, fine) predictions of the whole image."""
        mask = cond["mask"].to(self.sconv6.weight.dtype)
        incomplete = cond["masked_image"].to(mask.dtype) * (1 - mask)
        size = tuple(incomplete.shape[-2:])
        coarse = self.coarse_dec(run_stack(self.coarse_enc, self._inputs(incomplete, mask)), size)
        x = self._inputs(coarse * mask + incomplete * (1 - mask), mask)
        hallu = run_stack(self.hallu_enc, x)
        an = self.attention(self.sconv6(run_stack(self.an_enc, x)), cond)
        an = run_stack(self.an_post, F.elu(an))
        return coarse, self.fine_dec(torch.cat([hallu, an], 1), size)

    def forward(self, cond: Condition) -> torch.Tensor:
        return self.stages(cond)[1]


class InpaintingDiscriminatorParams(ganforge.Params):
    cnum: int = Field(64, ge=1, description="base width (TF d_cnum 64)")


class InpaintingDiscriminator(ganforge.Discriminator):
    """WGAN critics: global (6 stride-2 5x5 convs + linear) and mask-averaged patch scores."""

    Params: ClassVar = InpaintingDiscriminatorParams
    requires = frozenset({"mask"})

    def __init__(self, params: InpaintingDiscriminatorParams, data: DataInfo):
        super().__init__(params, data)
        c, ch = params.cnum, data.image_channels
        h, w = data.resolution
        if h % 64 or w % 64:
            raise ganforge.ConfigError(f"discriminator 'an_inpainting': data.resolution {h}x{w} must be "
                                       "divisible by 64 (six stride-2 convs)")
        widths = [ch, c, 2 * c, 4 * c, 8 * c, 4 * c, 2 * c]
        self.global_convs = nn.ModuleList(conv(a, b, 5, 2) for a, b in zip(widths, widths[1:]))
        self.global_fc = nn.Linear(2 * c * (h // 64) * (w // 64), 1)
        pw = [ch, c, 2 * c, 4 * c, 8 * c]
        self.patch_convs = nn.ModuleList(conv(a, b, 5, 2) for a, b in zip(pw, pw[1:]))
        self.patch_out = conv(8 * c, 1, 5, 2)

    def forward(self, image: torch.Tensor, cond: Condition) -> ganforge.DiscriminatorOutput:
        g = image
        for layer in self.global_convs:
            g = F.leaky_relu(layer(g), 0.2)
        p = image
        for layer in self.patch_convs:
            p = F.leaky_relu(layer(p), 0.2)
        p = self.patch_out(p)
        mask = F.adaptive_max_pool2d(cond["mask"].to(p.dtype), p.shape[-2:])
        local = (p * mask).sum((1, 2, 3)) / mask.sum((1, 2, 3)).clamp_min(1e-6)
        return ganforge.DiscriminatorOutput(scores=[local[:, None], self.global_fc(g.flatten(1))])

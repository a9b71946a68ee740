"""EdgeGAN's discriminators (Sec. 3.1): three WGAN critics and the auxiliary classifier.

* ``edgegan_critic`` — the TF code's ``Discriminator._convnet``, used three times: D_j on
  (edge | image) side by side (64 x 128), D_I on the image and D_E on the edge, each
  upsampled to 128 x 128 (TF image_dis_size / edge_dis_size). Four 4x4 stride-2 convs
  without bias (ndf, 2, 4, 8 ndf), instance norm from the second on, LeakyReLU 0.2, and a
  linear layer on the flattened features: one score per image.
* ``edgegan_classifier`` — the TF ``Classifier``: a 7x7 conv, then four MRU units
  (Chen & Hays, SketchyGAN) reading the image at 64, 32, 16, 8 px, all convs spectrally
  normalised, PReLU activations; a 1x1 score head and a linear class head on the mean of
  the last features.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

import ganforge
from ganforge import Condition, DataInfo, DiscriminatorOutput

from .layers import NormType, norm2d, normal_init


class CriticParams(ganforge.Params):
    ndf: int = Field(64, ge=1, description="channels of the first conv (TF df_dim)")
    size: tuple[int, int] = Field((128, 128), description="(H, W) of its input: the linear head is sized for it")
    in_channels: int | None = Field(None, ge=1, description="input channels (default: the data's image channels)")
    norm: NormType = Field("instance", description="norm of convs 2-4 (TF D_norm)")


class EdgeGANCritic(ganforge.Discriminator):
    """WGAN critic of EdgeGAN (D_j, D_I or D_E): four stride-2 convs and a linear score."""

    capabilities = frozenset({"features"})

    Params: ClassVar = CriticParams

    def __init__(self, params: CriticParams, data: DataInfo):
        super().__init__(params, data)
        h, w = params.size
        if h % 16 or w % 16:
            raise ganforge.ConfigError(f"edgegan_critic: size {params.size} must be multiples of 16")
        chans = [params.in_channels or data.image_channels] + [params.ndf * m for m in (1, 2, 4, 8)]
        self.convs = nn.ModuleList(normal_init(nn.Conv2d(a, b, 4, 2, 1, bias=False))
                                   for a, b in zip(chans[:-1], chans[1:]))
        self.norms = nn.ModuleList([nn.Identity()] + [norm2d(params.norm, c) for c in chans[2:]])
        self.score = normal_init(nn.Linear(chans[-1] * (h // 16) * (w // 16), 1))

    def forward(self, image: torch.Tensor, cond: Condition | None = None) -> DiscriminatorOutput:
        if tuple(image.shape[-2:]) != tuple(self.params.size):
            raise ganforge.ConditionMismatch(f"edgegan_critic: input is {tuple(image.shape[-2:])}, "
                                             f"built for size {tuple(self.params.size)}")
        x, features = image, []
        for conv, norm in zip(self.convs, self.norms):
            x = F.leaky_relu(norm(conv(x)), 0.2)
            features.append(x)
        return DiscriminatorOutput(scores=[self.score(x.flatten(1))], features=[features])


def sn_conv(in_ch: int, out_ch: int, kernel: int) -> nn.Module:
    """Spectrally normalised 'SAME' conv with bias (TF ``conv2d2`` with ``sn=True``)."""
    conv = nn.Conv2d(in_ch, out_ch, kernel, padding=kernel // 2)
    nn.init.xavier_uniform_(conv.weight)
    nn.init.zeros_(conv.bias)
    return spectral_norm(conv)


class PReLU(nn.Module):
    """max(a x, x) with one learned slope a, initialised to 0.2 (TF ``nn.prelu``)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.tensor(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.maximum(self.a * x, x)


class MRUUnit(nn.Module):
    """One masked residual unit (``mru_conv_block_v3`` with one block, stride 2).

    The image at this scale ``x`` updates the hidden state ``h`` through a gate that is
    min-max normalised over space; two convs then map it to ``out_ch`` channels, added to
    a 1x1 projection of ``h``, and the result is mean-pooled to half the size.
    """

    def __init__(self, in_ch: int, hidden: int, out_ch: int, last: bool):
        super().__init__()
        self.gate = sn_conv(hidden + in_ch, hidden, 3)
        with torch.no_grad():
            self.gate.bias.fill_(0.5)  # TF biases_initializer_mask
        self.image = sn_conv(in_ch, hidden, 3)
        self.conv1, self.conv2 = sn_conv(hidden, out_ch, 3), sn_conv(out_ch, out_ch, 3)
        self.project = sn_conv(hidden, out_ch, 1) if hidden != out_ch else nn.Identity()
        self.act_in, self.act_merge, self.act_conv = PReLU(), PReLU(), PReLU()
        self.act_last = PReLU() if last else None

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        r = F.leaky_relu(self.gate(torch.cat([self.act_in(h), x], 1)), 0.2)
        lo, hi = r.amin((2, 3), keepdim=True), r.amax((2, 3), keepdim=True)
        r = (r - lo) / (hi - lo + 1e-8)
        merged = self.act_merge(h + r * self.image(x))
        new = self.project(h) + self.conv2(self.act_conv(self.conv1(merged)))
        new = F.avg_pool2d(new, 2)
        return self.act_last(new) if self.act_last is not None else new


class ClassifierParams(ganforge.Params):
    width: int = Field(64, ge=1, description="base width: MRU units have 2, 4, 8, 12 x width channels")
    stem: int = Field(8, ge=1, description="channels of the first 7x7 conv (the initial hidden state)")
    in_channels: int | None = Field(None, ge=1, description="input channels (default: the data's image channels)")


class EdgeGANClassifier(ganforge.Discriminator):
    """EdgeGAN's auxiliary classifier on images: MRU units with spectral norm, class logits."""

    capabilities = frozenset({"classes"})
    Params: ClassVar = ClassifierParams

    def __init__(self, params: ClassifierParams, data: DataInfo):
        super().__init__(params, data)
        if data.num_classes < 1:
            raise ganforge.ConfigError("edgegan_classifier needs object classes (data.num_classes is 0)")
        in_ch = params.in_channels or data.image_channels
        self.stem, self.stem_act = sn_conv(in_ch, params.stem, 7), PReLU()
        widths = [params.stem] + [params.width * m for m in (2, 4, 8, 12)]
        self.units = nn.ModuleList(MRUUnit(in_ch, a, b, last=i == 3)
                                   for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])))
        self.score = sn_conv(widths[-1], 1, 1)
        self.classes = spectral_norm(nn.Linear(widths[-1], data.num_classes))
        nn.init.xavier_uniform_(self.classes.parametrizations.weight.original)
        nn.init.zeros_(self.classes.bias)

    def forward(self, image: torch.Tensor, cond: Condition | None = None) -> DiscriminatorOutput:
        h = self.stem_act(self.stem(image))
        x = image
        for unit in self.units:  # the image at the unit's own scale, halved by mean pooling
            h = unit(x, h)
            x = F.avg_pool2d(x, 2)
        return DiscriminatorOutput(scores=[self.score(h)], extra={"logits": self.classes(h.mean((2, 3)))})

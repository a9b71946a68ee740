"""The NICE-GAN discriminator D = C(E(x)) (paper Sec. 3.1, Fig. 2 and the official code).

Its first layers are the encoder E of the domain: two stride-2 convolutions to 1/4 of the
image size, then the CAM attention block of U-GAT-IT: global average and max pooling of
the features feed a linear classifier eta (the CAM logit, trained adversarially like the
other outputs), and the classifier's weights re-weight the feature channels, so the
channels that tell real from fake are emphasised. The result, E(x), is the embedding the
generators decode. The classifier C then has two heads on top of E(x): a *local* one
(70x70 receptive field at the paper's n_dis 7) and a *global* one (286x286) that continues
from the local head's first layer. Every convolution and eta carry spectral norm; the
attention uses eta's raw weight, as in the official code.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn
from ganforge.spectral import spectral_norm  # the official (v, then u) update order

import ganforge
from ganforge import Condition, DataInfo, DiscriminatorOutput
from ganforge.reuse import Embedding, SharedLayers


class Encoding(NamedTuple):
    """What E returns: the embedding the generators decode (B, 2 ch, H/4, W/4), the CAM
    logit eta(x) (B, 1) and the attention heatmap (B, 1, H/4, W/4)."""

    embedding: torch.Tensor
    cam_logit: torch.Tensor
    heatmap: torch.Tensor


def down(in_ch: int, out_ch: int, stride: int = 2, classifier: bool = False) -> nn.Sequential:
    """reflection pad 1 -> spectral-normed 4x4 conv -> LeakyReLU(0.2); a head's final
    ``classifier`` conv has neither bias nor activation."""
    layers: list[nn.Module] = [nn.ReflectionPad2d(1),
                               spectral_norm(nn.Conv2d(in_ch, out_ch, 4, stride, bias=not classifier))]
    if not classifier:
        layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


class CAMAttention(nn.Module):
    """Class activation map attention: eta([GAP(x), GMP(x)]) is the CAM logit; x weighted
    by eta's GAP and GMP weights, fused by a 1x1 conv, is added to x with a learned gain
    lambda (starting at 0, so training starts from the plain features)."""

    def __init__(self, channels: int):
        super().__init__()
        self.eta = spectral_norm(nn.Linear(2 * channels, 1, bias=False))
        self.fuse = nn.Conv2d(2 * channels, channels, 1)
        self.lamda = nn.Parameter(torch.zeros(1))

    @property
    def attention_weight(self) -> torch.Tensor:
        """eta's raw (not spectrally normalised) weight (1, 2C): GAP half, then GMP half."""
        return self.eta.parametrizations.weight.original

    def forward(self, x: torch.Tensor) -> Encoding:
        pooled = torch.cat([F.adaptive_avg_pool2d(x, 1), F.adaptive_max_pool2d(x, 1)], dim=1).flatten(1)
        cam_logit = self.eta(pooled)
        weighted = torch.cat([x, x], dim=1) * self.attention_weight[0, :, None, None]
        out = F.leaky_relu(self.lamda * self.fuse(weighted) + x, 0.2)
        return Encoding(out, cam_logit, out.sum(dim=1, keepdim=True))


class NICEEncoder(nn.Module):
    """E: two stride-2 spectral-normed convs (3 -> ch -> 2 ch), then CAM attention."""

    def __init__(self, in_channels: int, ch: int):
        super().__init__()
        self.layers = nn.Sequential(down(in_channels, ch), down(ch, 2 * ch))
        self.cam = CAMAttention(2 * ch)

    def forward(self, image: torch.Tensor) -> Encoding:
        return self.cam(self.layers(image))


class Embedded(nn.Module):
    """The CAM block as a reuse stage: the embedding only (ganforge.reuse)."""

    def __init__(self, cam: CAMAttention):
        super().__init__()
        self.cam = cam

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cam(x).embedding


class DiscriminatorParams(ganforge.Params):
    ch: int = Field(64, ge=1, description="base channels (official --ch); the embedding has 2 ch channels")
    n_dis: int = Field(7, ge=6, description="discriminator depth (official --n_dis); 7 gives the 70x70 local and "
                       "286x286 global receptive fields")


def head_sizes(size: int, n_dis: int) -> tuple[int, int]:
    """Spatial sizes of the local and global score maps for an image side ``size``."""
    s = size // 4  # the embedding
    for _ in range(2, n_dis - 4):
        s //= 2
    local = s - 1 - 1  # stride-1 4x4 conv (pad 1), then the 4x4 classifier (pad 1)
    g = s
    for _ in range(n_dis - 4, n_dis - 2):
        g //= 2
    return local, g - 1 - 1


def min_side(n_dis: int) -> int:
    """The smallest image side (a multiple of 4) at which both heads have outputs."""
    return next(s for s in range(4, 1 << 16, 4) if min(head_sizes(s, n_dis)) >= 1)


class NICEDiscriminator(ganforge.Discriminator):
    """NICE-GAN multi-scale discriminator whose early layers (with CAM attention) are the domain's encoder."""

    capabilities = frozenset({"reuse"})

    Params: ClassVar = DiscriminatorParams

    def __init__(self, params: DiscriminatorParams, data: DataInfo):
        super().__init__(params, data)
        ch, n = params.ch, params.n_dis
        too_small = [side for side in data.resolution if min(head_sizes(side, n)) < 1 or side % 4]
        if too_small:
            raise ganforge.ConfigError(
                f"discriminator 'nice_gan': at resolution {tuple(data.resolution)} with n_dis {n} a head's score map "
                f"would be empty (or the side is not a multiple of 4); use at least {min_side(n)} px per side "
                "or a smaller n_dis (>= 6)")
        self.encoder = NICEEncoder(data.image_channels, ch)
        # local head: stride-2 layers up to ch * 2^(n-5) channels, a stride-1 layer, the classifier
        self.local_down = nn.Sequential(*[down(ch * 2 ** (i - 1), ch * 2 ** i) for i in range(2, n - 4)])
        self.local_head = nn.Sequential(down(ch * 2 ** (n - 5), ch * 2 ** (n - 4), stride=1),
                                        down(ch * 2 ** (n - 4), 1, stride=1, classifier=True))
        # global head: continues from local_down with two more stride-2 layers
        self.global_head = nn.Sequential(*[down(ch * 2 ** (i - 1), ch * 2 ** i) for i in range(n - 4, n - 2)],
                                         down(ch * 2 ** (n - 3), ch * 2 ** (n - 2), stride=1),
                                         down(ch * 2 ** (n - 2), 1, stride=1, classifier=True))

    def encode(self, image: torch.Tensor) -> Encoding:
        """E(x): the embedding a generator decodes, with the CAM logit and heatmap."""
        return self.encoder(image)

    def reuse_layers(self) -> SharedLayers:
        """E's layers for a generator to encode with: the two stride-2 convs, then CAM
        (the embedding: 2 ch channels at stride 4)."""
        ch = self.params.ch
        first, second = self.encoder.layers
        return SharedLayers([(first, Embedding(ch, 2)), (second, Embedding(2 * ch, 4)),
                             (Embedded(self.encoder.cam), Embedding(2 * ch, 4))])

    def classify(self, embedding: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """C(E(x)): the local and global score maps."""
        shared = self.local_down(embedding)
        return self.local_head(shared), self.global_head(shared)

    def forward(self, image: torch.Tensor, cond: Condition | None = None) -> DiscriminatorOutput:
        enc = self.encode(image)
        local, global_ = self.classify(enc.embedding)
        return DiscriminatorOutput(scores=[local, global_], extra={
            "cam_logit": enc.cam_logit, "embedding": enc.embedding, "heatmap": enc.heatmap})

"""The class-conditional backbone of the paper's ImageNet experiments: BigGAN (Brock et al.
2019) with Attentive Normalization in place of its self-attention block.

Structure and widths follow BigGAN-PyTorch (ajbrock/BigGAN-PyTorch, ``BigGAN.py`` /
``layers.py``) so parameter counts can be compared with it: a shared class embedding,
hierarchical z (one chunk per block), residual blocks with class-conditional batch norm
(gain and bias from [shared embedding, z chunk]), spectral norm everywhere, and the
projection discriminator. Where BigGAN places a self-attention layer (after the 64x64
block at 128 px) the generator holds the normalizer slot ``attention`` (AN by default).
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

import ganforge
from ganforge import ComponentSpec, Condition, DataInfo

# Channel multipliers (of ch) per residual block, BigGAN-PyTorch's G_arch / D_arch.
G_ARCH = {32: ([4, 4, 4], [4, 4, 4]), 64: ([16, 16, 8, 4], [16, 8, 4, 2]),
          128: ([16, 16, 8, 4, 2], [16, 8, 4, 2, 1]), 256: ([16, 16, 8, 8, 4, 2], [16, 8, 8, 4, 2, 1])}
D_ARCH = {32: ([4, 4, 4], [4, 4, 4, 4], 2), 64: ([1, 2, 4, 8], [1, 2, 4, 8, 16], 4),
          128: ([1, 2, 4, 8, 16], [1, 2, 4, 8, 16, 16], 5), 256: ([1, 2, 4, 8, 8, 16], [1, 2, 4, 8, 8, 16, 16], 6)}


def sn_conv(cin: int, cout: int, k: int = 3) -> nn.Module:
    conv = nn.Conv2d(cin, cout, k, padding=k // 2)
    nn.init.orthogonal_(conv.weight)  # BigGAN's G_init / D_init 'ortho'
    return spectral_norm(conv)


def sn_linear(cin: int, cout: int, bias: bool = True) -> nn.Module:
    lin = nn.Linear(cin, cout, bias=bias)
    nn.init.orthogonal_(lin.weight)
    return spectral_norm(lin)


def class_index(cond: Condition, field: str, num_classes: int) -> torch.Tensor:
    """The (B,) class ids in [0, num_classes) from ``cond[field]``; anything else is an error."""
    y = cond[field].long().view(-1)
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= num_classes):
        raise ganforge.DataError(f"condition field {field!r} has ids in [{int(y.min())}, {int(y.max())}], "
                                 f"expected [0, {num_classes})")
    return y


def num_classes_of(data: DataInfo, field: str, who: str) -> int:
    n = data.num_classes if field == "class_label" else data.num_domains
    if n < 1:
        raise ganforge.ConfigError(f"{who}: the data declares no classes for condition field {field!r} "
                                   f"(num_classes={data.num_classes}, num_domains={data.num_domains})")
    return n


class ConditionalBatchNorm(nn.Module):
    """BigGAN's ccbn: batch norm without affine, gain 1 + W_g c and bias W_b c from the
    conditioning vector c = [shared class embedding, z chunk] (bias-free SN linears)."""

    def __init__(self, channels: int, cond_dim: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain = sn_linear(cond_dim, channels, bias=False)
        self.bias = sn_linear(cond_dim, channels, bias=False)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return self.bn(x) * (1 + self.gain(c))[..., None, None] + self.bias(c)[..., None, None]


class GBlock(nn.Module):
    """ccbn -> ReLU -> up -> conv3 -> ccbn -> ReLU -> conv3, plus an upsampled 1x1 shortcut."""

    def __init__(self, cin: int, cout: int, cond_dim: int):
        super().__init__()
        self.bn1, self.bn2 = ConditionalBatchNorm(cin, cond_dim), ConditionalBatchNorm(cout, cond_dim)
        self.conv1, self.conv2 = sn_conv(cin, cout), sn_conv(cout, cout)
        self.conv_sc = sn_conv(cin, cout, 1)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.relu(self.bn1(x, c)), scale_factor=2.0)
        h = self.conv2(F.relu(self.bn2(self.conv1(h), c)))
        return h + self.conv_sc(F.interpolate(x, scale_factor=2.0))


class BigGANParams(ganforge.Params):
    ch: int = Field(96, ge=1, description="channel width multiplier (BigGAN 128: G_ch 96)")
    dim_z: int = Field(120, ge=1, description="latent size, split into one chunk per block and the input")
    shared_dim: int = Field(128, ge=1, description="width of the shared class embedding")
    condition_field: str = Field("class_label", pattern="^(class_label|domain)$",
                                 description="which condition field holds the class: class_label or domain")
    an_resolutions: list[int] = Field([64], description="resolutions whose block is followed by the attention "
                                                        "slot (BigGAN's self-attention position at 128 px)")
    attention: ComponentSpec = ganforge.slot("normalizer", "attentive_norm",
                                             "the long-range module after the blocks at an_resolutions")


class BigGANGenerator(ganforge.Generator):
    """BigGAN generator with Attentive Normalization in place of self-attention."""

    Params: ClassVar = BigGANParams

    @classmethod
    def requirements(cls, params, data: DataInfo) -> frozenset[str]:
        return frozenset({params.condition_field})

    def __init__(self, params: BigGANParams, data: DataInfo):
        super().__init__(params, data)
        res = data.resolution[0]
        if data.resolution[0] != data.resolution[1] or res not in G_ARCH:
            raise ganforge.ConfigError(f"generator 'an_biggan': data.resolution {data.resolution} must be square "
                                       f"with a side in {sorted(G_ARCH)}")
        ins, outs = (list(map(lambda m: m * params.ch, a)) for a in G_ARCH[res])
        resolutions = [8 * 2 ** i for i in range(len(outs))]
        bad = sorted(set(params.an_resolutions) - set(resolutions))
        if bad:
            raise ganforge.ConfigError(f"generator 'an_biggan': an_resolutions {bad} are no block outputs "
                                       f"at {res} px (choose from {resolutions})")
        self.num_classes = num_classes_of(data, params.condition_field, "generator 'an_biggan'")
        self.chunk = params.dim_z // (len(outs) + 1)
        self.shared = nn.Embedding(self.num_classes, params.shared_dim)
        self.linear = sn_linear(self.chunk, ins[0] * 16)
        cond_dim = params.shared_dim + self.chunk
        self.blocks = nn.ModuleList(GBlock(i, o, cond_dim) for i, o in zip(ins, outs))
        self.attention = nn.ModuleDict({
            str(i): ganforge.build("normalizer", params.attention, data, path="generator.attention", check=False,
                                   num_features=outs[i])
            for i, r in enumerate(resolutions) if r in params.an_resolutions})
        self.output_bn = nn.BatchNorm2d(outs[-1])
        self.conv_out = sn_conv(outs[-1], data.image_channels)

    def forward(self, cond: Condition) -> torch.Tensor:
        y = class_index(cond, self.params.condition_field, self.num_classes)
        n_chunks = len(self.blocks) + 1
        z = cond["z"] if "z" in cond else torch.randn(y.shape[0], self.chunk * n_chunks, device=y.device)
        zs = z[:, :self.chunk * n_chunks].to(self.linear.weight.dtype).split(self.chunk, dim=1)
        shared = self.shared(y)
        x = self.linear(zs[0]).view(y.shape[0], -1, 4, 4)
        for i, block in enumerate(self.blocks):
            x = block(x, torch.cat([shared, zs[i + 1]], 1))
            if str(i) in self.attention:
                x = self.attention[str(i)](x, cond)
        return torch.tanh(self.conv_out(F.relu(self.output_bn(x))))


class SelfAttention(nn.Module):
    """SAGAN's attention as BigGAN's D uses it (theta/phi C/8, g C/2, 2x2-pooled keys, gamma 0)."""

    def __init__(self, ch: int):
        super().__init__()
        self.theta, self.phi = (spectral_norm(nn.Conv2d(ch, ch // 8, 1, bias=False)) for _ in range(2))
        self.g = spectral_norm(nn.Conv2d(ch, ch // 2, 1, bias=False))
        self.o = spectral_norm(nn.Conv2d(ch // 2, ch, 1, bias=False))
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        theta = self.theta(x).flatten(2)
        phi = F.max_pool2d(self.phi(x), 2).flatten(2)
        g = F.max_pool2d(self.g(x), 2).flatten(2)
        beta = F.softmax(theta.transpose(1, 2) @ phi, dim=-1)  # (B, HW, HW/4)
        o = self.o((g @ beta.transpose(1, 2)).view(b, c // 2, h, w))
        return x + self.gamma * o


class DBlock(nn.Module):
    """BigGAN's D block: [ReLU] -> conv3 -> ReLU -> conv3 [-> avgpool], plus a 1x1 shortcut."""

    def __init__(self, cin: int, cout: int, downsample: bool, preactivation: bool):
        super().__init__()
        self.conv1, self.conv2 = sn_conv(cin, cout), sn_conv(cout, cout)
        self.conv_sc = sn_conv(cin, cout, 1) if (cin != cout or downsample) else None
        self.downsample, self.preactivation = downsample, preactivation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv2(F.relu(self.conv1(F.relu(x) if self.preactivation else x)))
        pool = (lambda t: F.avg_pool2d(t, 2)) if self.downsample else (lambda t: t)
        s = x
        if self.preactivation:
            s = pool(self.conv_sc(s) if self.conv_sc is not None else s)
        else:
            s = pool(s)
            s = self.conv_sc(s) if self.conv_sc is not None else s
        return pool(h) + s


class ProjectionDiscriminatorParams(ganforge.Params):
    ch: int = Field(96, ge=1, description="channel width multiplier (BigGAN 128: D_ch 96)")
    condition_field: str = Field("class_label", pattern="^(class_label|domain)$", description="field holding the class")
    attention_resolutions: list[int] = Field([64], description="resolutions followed by self-attention (BigGAN: 64)")


class ProjectionDiscriminator(ganforge.Discriminator):
    """BigGAN's projection discriminator: residual blocks, sum pooling, linear + <embed(y), h>."""

    Params: ClassVar = ProjectionDiscriminatorParams

    @classmethod
    def requirements(cls, params, data: DataInfo) -> frozenset[str]:
        return frozenset({params.condition_field})

    def __init__(self, params: ProjectionDiscriminatorParams, data: DataInfo):
        super().__init__(params, data)
        res = data.resolution[0]
        if data.resolution[0] != data.resolution[1] or res not in D_ARCH:
            raise ganforge.ConfigError(f"discriminator 'an_projection': data.resolution {data.resolution} must be "
                                       f"square with a side in {sorted(D_ARCH)}")
        ins, outs, n_down = D_ARCH[res]
        ins = [data.image_channels] + [m * params.ch for m in ins]
        outs = [m * params.ch for m in outs]
        self.num_classes = num_classes_of(data, params.condition_field, "discriminator 'an_projection'")
        layers: list[nn.Module] = []
        size = res
        for i, (cin, cout) in enumerate(zip(ins, outs)):
            down = i < n_down
            layers.append(DBlock(cin, cout, down, preactivation=i > 0))
            size = size // 2 if down else size
            if size in params.attention_resolutions and i < n_down:
                layers.append(SelfAttention(cout))
        self.blocks = nn.Sequential(*layers)
        self.linear = sn_linear(outs[-1], 1)
        self.embed = spectral_norm(nn.Embedding(self.num_classes, outs[-1]))
        nn.init.orthogonal_(self.embed.parametrizations.weight.original)

    def forward(self, image: torch.Tensor, cond: Condition) -> ganforge.DiscriminatorOutput:
        h = F.relu(self.blocks(image)).sum((2, 3))
        y = class_index(cond, self.params.condition_field, self.num_classes)
        score = self.linear(h) + (self.embed(y) * h).sum(1, keepdim=True)
        return ganforge.DiscriminatorOutput(scores=[score])

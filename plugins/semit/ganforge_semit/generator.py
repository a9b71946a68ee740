"""SEMIT's generator: FUNIT's few-shot translator (content encoder, class encoder, MLP,
AdaIN decoder) with octave convolutions (paper Sec. 3.2, official ``networks.py``).

Translation: ``decode(content(x), class_code(y))`` renders the content of ``x`` in the
class of the exemplar ``y``; with K exemplars the class codes are averaged (few-shot).
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge

from .octave import Octave, OctConv, OctaveNorm, OctResBlock, octave_act


class SEMITGeneratorParams(ganforge.Params):
    nf: int = Field(64, ge=1, description="base channels (content code: 4 nf channels at 1/4 size)")
    n_res_blks: int = Field(6, ge=1, description="octave residual blocks in the content encoder and in the decoder")
    latent_dim: int = Field(64, ge=1, description="width of the class code")
    nf_mlp: int = Field(256, ge=1, description="hidden width of the MLP mapping the class code to AdaIN parameters")
    n_mlp_blks: int = Field(3, ge=2, description="linear layers of the MLP")
    alpha: float = Field(0.5, ge=0.0, le=1.0, description="octave ratio at inference; training draws it per call")


class ContentEncoder(nn.Module):
    """Image -> octave content code: conv7x7 and two stride-2 conv4x4 (instance norm,
    ReLU), then residual blocks."""

    def __init__(self, nf: int, n_res: int):
        super().__init__()
        self.conv1, self.bn1 = OctConv(3, nf, 7, 1, 3, "first"), OctaveNorm(nf, "in")
        self.conv2, self.bn2 = OctConv(nf, 2 * nf, 4, 2, 1), OctaveNorm(2 * nf, "in")
        self.conv3, self.bn3 = OctConv(2 * nf, 4 * nf, 4, 2, 1), OctaveNorm(4 * nf, "in")
        self.blocks = nn.ModuleList(OctResBlock(4 * nf, "in") for _ in range(n_res))

    def forward(self, x: torch.Tensor, alpha: float) -> Octave:
        h = octave_act(self.bn1(self.conv1(x, alpha)))
        h = octave_act(self.bn2(self.conv2(h, alpha)))
        h = octave_act(self.bn3(self.conv3(h, alpha)))
        for block in self.blocks:
            h = block(h, alpha)
        return h


class ClassEncoder(nn.Module):
    """Image -> class code (B, latent_dim): octave convs without normalisation, the last
    one merging the branches, global average pooling, a 1x1 projection."""

    def __init__(self, nf: int, latent_dim: int):
        super().__init__()
        self.conv1 = OctConv(3, nf, 7, 1, 3, "first")
        self.conv2 = OctConv(nf, 2 * nf, 4, 2, 1)
        self.conv3 = OctConv(2 * nf, 4 * nf, 4, 2, 1, "last")
        self.project = nn.Conv2d(4 * nf, latent_dim, 1)

    def forward(self, x: torch.Tensor, alpha: float) -> torch.Tensor:
        h = octave_act(self.conv2(octave_act(self.conv1(x, alpha)), alpha))
        h = F.relu(self.conv3(h, alpha))
        return self.project(h.mean((2, 3), keepdim=True)).flatten(1)


class Decoder(nn.Module):
    """Octave content code -> image: AdaIN residual blocks, two (upsample, conv3x3,
    instance norm, ReLU) stages, a merging conv7x7 and tanh."""

    def __init__(self, nf: int, n_res: int):
        super().__init__()
        dim = 4 * nf
        self.blocks = nn.ModuleList(OctResBlock(dim, "adain") for _ in range(n_res))
        self.conv1, self.bn1 = OctConv(dim, dim // 2, 3, 1, 1), OctaveNorm(dim // 2, "in")
        self.conv2, self.bn2 = OctConv(dim // 2, dim // 4, 3, 1, 1), OctaveNorm(dim // 4, "in")
        self.conv3 = OctConv(dim // 4, 3, 7, 1, 3, "last")

    def adain_layers(self) -> list[OctaveNorm]:
        return [n for block in self.blocks for n in (block.bn1, block.bn2)]

    def forward(self, content: Octave, alpha: float) -> torch.Tensor:
        h = content
        for block in self.blocks:
            h = block(h, alpha)
        for conv, norm in ((self.conv1, self.bn1), (self.conv2, self.bn2)):
            h = octave_act(norm(conv(tuple(F.interpolate(t, scale_factor=2, mode="nearest") for t in h), alpha)))
        return torch.tanh(self.conv3(h, alpha))


class MLP(nn.Sequential):
    """Class code -> every AdaIN parameter of the decoder (Linear-ReLU ..., Linear)."""

    def __init__(self, cin: int, cout: int, hidden: int, layers: int):
        dims = [cin] + [hidden] * (layers - 1)
        mods: list[nn.Module] = []
        for a, b in zip(dims[:-1], dims[1:]):
            mods += [nn.Linear(a, b), nn.ReLU()]
        super().__init__(*mods, nn.Linear(dims[-1], cout))


class SEMITGenerator(ganforge.Generator):
    """FUNIT generator with octave convolutions: content of ``source``, class of ``exemplar``."""

    Params: ClassVar = SEMITGeneratorParams
    requires = frozenset({"source", "exemplar"})

    def __init__(self, params: SEMITGeneratorParams, data: ganforge.DataInfo):
        super().__init__(params, data)
        if data.image_channels != 3:
            raise ganforge.ConfigError(f"generator 'semit': RGB images only, the data has "
                                       f"{data.image_channels} channels")
        p = params
        self.enc_content = ContentEncoder(p.nf, p.n_res_blks)
        self.enc_class_model = ClassEncoder(p.nf, p.latent_dim)
        self.dec = Decoder(p.nf, p.n_res_blks)
        adain = sum(4 * n.channels for n in self.dec.adain_layers())  # (bias, scale) x (high, low)
        self.mlp = MLP(p.latent_dim, adain, p.nf_mlp, p.n_mlp_blks)

    def draw_alpha(self) -> float:
        """The octave ratio of one call: uniform in [0, 1] while training, else ``params.alpha``."""
        return float(torch.rand(())) if self.training else self.params.alpha

    def class_code(self, images: torch.Tensor, alpha: float, shots: int = 1) -> torch.Tensor:
        """(B, latent) codes of B = N * shots images, averaged over each sample's ``shots`` exemplars."""
        code = self.enc_class_model(images, alpha)
        return code.view(-1, shots, code.shape[1]).mean(1)

    def decode(self, content: Octave, code: torch.Tensor, alpha: float) -> torch.Tensor:
        params = self.mlp(code)
        for norm in self.dec.adain_layers():
            c2 = 2 * norm.channels
            norm.adain, params = (params[:, :c2], params[:, c2:2 * c2]), params[:, 2 * c2:]
        return self.dec(content, alpha)

    def translate(self, source: torch.Tensor, exemplars: torch.Tensor, alpha: float | None = None) -> torch.Tensor:
        """``source`` (N, 3, H, W) in the class of ``exemplars`` (N, 3, H, W) or (N, K, 3, H, W)."""
        alpha = self.draw_alpha() if alpha is None else alpha
        shots = exemplars.shape[1] if exemplars.dim() == 5 else 1
        code = self.class_code(exemplars.flatten(0, 1) if exemplars.dim() == 5 else exemplars, alpha, shots)
        return self.decode(self.enc_content(source, alpha), code, alpha)

    def forward(self, cond: ganforge.Condition) -> torch.Tensor:
        return self.translate(cond["source"], cond["exemplar"])

"""EdgeGAN's two generators (Sec. 3.1): G_E draws the edge map and G_I the image from one
shared latent vector, the noise z concatenated with the class one-hot (the "attribute
vector" that bridges edges and images).

Each is the TF code's DCGAN ``Generator._convnet``: a linear layer to 8 ngf x s/16 x s/16,
then four 5x5 stride-2 transposed convolutions (8 ngf -> 4 ngf -> 2 ngf -> ngf -> out),
norm + ReLU after all but the last, tanh at the end.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo

from .layers import NormType, norm2d, normal_init


class DCGANParams(ganforge.Params):
    z_dim: int = Field(100, ge=1, description="noise size (TF z_dim)")
    ngf: int = Field(64, ge=1, description="channels of the last hidden layer (TF gf_dim)")
    size: int = Field(64, ge=16, description="side of the generated object images (TF output_height)")
    edge_channels: int = Field(3, ge=1, description="channels of the edge map G_E draws (the TF code: RGB)")
    norm: NormType = Field("instance", description="norm after the linear layer and hidden deconvs (TF G_norm)")


class DCGANBranch(nn.Module):
    """One of G_E / G_I: latent (B, z_dim + K) -> (B, out_ch, size, size) in [-1, 1]."""

    def __init__(self, in_features: int, out_ch: int, p: DCGANParams):
        super().__init__()
        if p.size % 16:
            raise ganforge.ConfigError(f"size {p.size} must be a multiple of 16 (four 2x upsamplings)")
        self.base, self.ch = p.size // 16, p.ngf * 8
        self.project = normal_init(nn.Linear(in_features, self.ch * self.base ** 2))
        self.norm0 = norm2d(p.norm, self.ch)
        chans = [p.ngf * 8, p.ngf * 4, p.ngf * 2, p.ngf, out_ch]
        # TF 'SAME' transposed conv, 5x5 stride 2: exactly 2x, as padding 2 + output_padding 1
        self.deconvs = nn.ModuleList(
            normal_init(nn.ConvTranspose2d(a, b, 5, stride=2, padding=2, output_padding=1))
            for a, b in zip(chans[:-1], chans[1:]))
        self.norms = nn.ModuleList(norm2d(p.norm, c) for c in chans[1:-1])

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        x = self.project(latent).view(-1, self.ch, self.base, self.base)
        x = F.relu(self.norm0(x))
        for deconv, norm in zip(self.deconvs[:-1], self.norms):
            x = F.relu(norm(deconv(x)))
        return torch.tanh(self.deconvs[-1](x))


class EdgeGANGenerator(ganforge.Generator):
    """G_E and G_I of EdgeGAN from one latent (z, class one-hot); ``forward`` gives the image."""

    Params: ClassVar = DCGANParams
    requires = frozenset({"z"})

    def __init__(self, params: DCGANParams, data: DataInfo):
        super().__init__(params, data)
        self.num_classes = data.num_classes
        width = params.z_dim + data.num_classes
        self.edge_generator = DCGANBranch(width, params.edge_channels, params)  # G_E ('G1')
        self.image_generator = DCGANBranch(width, data.image_channels, params)  # G_I ('G2')

    @classmethod
    def requirements(cls, params: DCGANParams, data: DataInfo) -> frozenset[str]:
        return cls.requires | ({"class_label"} if data.num_classes else frozenset())

    def latent(self, cond: Condition) -> torch.Tensor:
        """(z, one-hot class): the vector both generators read."""
        z = cond["z"]
        if z.shape[1] != self.params.z_dim:
            raise ganforge.ConditionMismatch(f"edgegan generator: z has {z.shape[1]} entries, z_dim is "
                                             f"{self.params.z_dim}")
        if not self.num_classes:
            return z
        label = cond["class_label"].long()
        if int(label.min()) < 0 or int(label.max()) >= self.num_classes:
            raise ganforge.ConditionMismatch(f"edgegan generator: class_label outside [0, {self.num_classes})")
        return torch.cat([z, F.one_hot(label, self.num_classes).to(z.dtype)], 1)

    def pair(self, cond: Condition) -> tuple[torch.Tensor, torch.Tensor]:
        """(edge, image) drawn from the same latent."""
        v = self.latent(cond)
        return self.edge_generator(v), self.image_generator(v)

    def forward(self, cond: Condition) -> torch.Tensor:
        return self.image_generator(self.latent(cond))

"""SPADE's image encoder for multi-modal synthesis (Park et al. 2019, Sec. 3 "Multi-modal
synthesis" and appendix B): a strided conv net mapping the real image to the mean and
log-variance of a Gaussian over z; the generator starts from a sample of it, and a KL
term (``kl`` loss) keeps it close to N(0, I) so that z ~ N(0, I) works at test time."""

from __future__ import annotations

import math
from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field, field_validator
from torch import nn

import ganforge
from ganforge import Condition, DataInfo

from .layers import ConvNormAct, InitParams, NormType, linear


class ConvEncoderParams(InitParams):
    ndf: int = Field(64, ge=1, description="channels of the first conv (SPADE reuses --ngf here)")
    z_dim: int = Field(256, ge=1, description="width of z, mu and logvar")
    input_size: int = Field(256, description="images are resized to input_size^2 first; the convs then "
                                             "halve it down to 4x4 (six layers at 256, as SPADE)")
    norm: NormType = Field("instance", description="norm after each conv (norm_E 'spectralinstance')")
    spectral_norm: bool = Field(True, description="spectral norm on the convs")

    @field_validator("input_size")
    @classmethod
    def _power_of_two(cls, v: int) -> int:
        if v < 8 or v & (v - 1):
            raise ValueError(f"must be a power of two >= 8, got {v}")
        return v


class ConvEncoder(ganforge.Encoder):
    """VAE image encoder: image -> (z, mu, logvar) with z = mu + eps * exp(logvar / 2)."""

    Params: ClassVar = ConvEncoderParams
    provides = frozenset({"z"})

    FINAL_SIZE = 4  # spatial size before the fully connected heads (SPADE's s0)

    def __init__(self, params: ConvEncoderParams, data: DataInfo):
        super().__init__(params, data)
        num_layers = int(math.log2(params.input_size // self.FINAL_SIZE))
        widths = [data.image_channels] + [params.ndf * min(2 ** i, 8) for i in range(num_layers)]
        self.layers = nn.ModuleList(
            ConvNormAct(cin, cout, 3, 2, 1, norm=params.norm, spectral=params.spectral_norm, activation=True,
                        init=params)
            for cin, cout in zip(widths[:-1], widths[1:]))
        flat = widths[-1] * self.FINAL_SIZE ** 2
        self.fc_mu = linear(flat, params.z_dim, init=params)
        self.fc_var = linear(flat, params.z_dim, init=params)

    def forward(self, image: torch.Tensor, cond: Condition | None = None) -> dict[str, torch.Tensor]:
        size = self.params.input_size
        x = image if tuple(image.shape[-2:]) == (size, size) else F.interpolate(
            image, size=(size, size), mode="bilinear", align_corners=False)
        for layer in self.layers:
            x = layer(x)
        x = x.flatten(1)
        mu, logvar = self.fc_mu(x), self.fc_var(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)  # reparameterisation trick
        return {"z": z, "mu": mu, "logvar": logvar}

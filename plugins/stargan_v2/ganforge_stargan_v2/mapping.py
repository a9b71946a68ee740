"""The mapping network F (paper Sec. 2, appendix Table 8): s = F_y(z).

An MLP of four shared fully connected layers, then one output branch per domain (three
hidden layers and a projection to the style code). All branches run and each sample
takes its target domain's, so the shared layers learn from every domain while each
branch specialises.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo

from .layers import linear, num_domains, select_domain


class MappingParams(ganforge.Params):
    latent_dim: int = Field(16, ge=1, description="width of the latent code z (B, latent_dim)")
    style_dim: int = Field(64, ge=1, description="width of the style code it produces")
    hidden_dim: int = Field(512, ge=1, description="width of every hidden layer")


def mlp(widths: list[int], final_relu: bool) -> nn.Sequential:
    """Linear -> ReLU -> ... over consecutive ``widths`` (He-initialised)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers.append(linear(a, b))
        if final_relu or i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class MappingNetwork(ganforge.Encoder):
    """StarGAN v2 mapping network: a style code for the target domain from a latent code z."""

    Params: ClassVar = MappingParams
    requires = frozenset({"z", "domain"})
    provides = frozenset({"style"})

    def __init__(self, params: MappingParams, data: DataInfo):
        super().__init__(params, data)
        h = params.hidden_dim
        self.shared = mlp([params.latent_dim, h, h, h, h], final_relu=True)
        self.heads = nn.ModuleList(mlp([h, h, h, h, params.style_dim], final_relu=False)
                                   for _ in range(num_domains(data, "encoder 'stargan_v2_mapping'")))

    def style(self, z: torch.Tensor, domain: torch.Tensor) -> torch.Tensor:
        """s = F_y(z): (B, latent_dim), (B,) -> (B, style_dim)."""
        if z.dim() != 2 or z.shape[1] != self.params.latent_dim:
            raise ValueError(f"encoder 'stargan_v2_mapping': z must have shape (B, {self.params.latent_dim}), "
                             f"got {tuple(z.shape)}")
        h = self.shared(z)
        return select_domain(torch.stack([head(h) for head in self.heads], dim=1), domain,
                             "encoder 'stargan_v2_mapping'")

    def forward(self, image: torch.Tensor | None, cond: Condition) -> dict[str, torch.Tensor]:
        """``image`` is unused: the style comes from cond['z'] and cond['domain'] (the target)."""
        return {"style": self.style(cond["z"], cond["domain"])}

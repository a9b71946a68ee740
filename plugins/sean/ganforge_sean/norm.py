"""SEAN normalization (Zhu et al. 2020, Sec. 3.2, Fig. 2; "ACE" in the official code).

    x' = BN(x + noise)                          noise: one N(0, 1) per pixel x learned scale per channel
    gamma = a_g gamma_s + (1 - a_g) gamma_o,    a_g = sigmoid(blending_gamma)
    beta  = a_b beta_s  + (1 - a_b) beta_o,     a_b = sigmoid(blending_beta)
    out   = x' (1 + gamma) + beta

``gamma_o, beta_o`` are SPADE's modulation from the mask alone (the SPADE layer of
``ganforge_spade`` is reused as is). ``gamma_s, beta_s`` come from the style matrix: each
region's code goes through its class's own fully connected layer + ReLU, is broadcast to
the pixels of that region, and two convs turn the per-pixel style map into scale and bias.
So a code changes the modulation only inside its region (up to the convs' one-pixel
reach). With ``use_style=False`` the layer is SPADE plus noise, as in SEAN's last block.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo
from ganforge_spade import semantic
from ganforge_spade.layers import InitParams, conv2d, linear, param_free_norm
from ganforge_spade.norm import SPADE, SPADEParams

from . import regions


class SEANParams(InitParams):
    param_free_norm: Literal["instance", "batch", "syncbatch"] = Field(
        "syncbatch", description="normalisation before modulation (the official ACE hard-codes synchronised BN)")
    style_length: int = Field(512, ge=1, description="D: width of each region's style code (the encoder's output)")
    use_style: bool = Field(True, description="use the per-region style branch; False keeps only the mask-only "
                                              "(SPADE) modulation and the noise, as SEAN's last block does")
    nhidden: int = Field(128, ge=1, description="hidden channels of the mask-only (SPADE) branch")
    kernel_size: int = Field(3, ge=1, description="kernel of the style and SPADE convs (odd)")
    use_instance: bool | None = semantic.use_instance_field()


def _spade_params(params: SEANParams) -> SPADEParams:
    """The mask-only branch's params: only its modulation() is used, so its own (never
    applied) normalisation is the stateless instance norm."""
    return SPADEParams(param_free_norm="instance", nhidden=params.nhidden, kernel_size=params.kernel_size,
                       use_instance=params.use_instance, init_type=params.init_type, init_gain=params.init_gain)


class SEAN(ganforge.Normalizer):
    """Semantic region-adaptive normalization: per-region style codes blended with SPADE's mask modulation."""

    Params: ClassVar = SEANParams
    requires = frozenset({"label", "region_style"})

    def __init__(self, params: SEANParams, data: DataInfo, num_features: int):
        super().__init__(params, data, num_features)
        if params.kernel_size % 2 == 0:
            raise ganforge.ConfigError(f"normalizer 'sean': kernel_size must be odd, got {params.kernel_size}")
        ks, pw, d = params.kernel_size, params.kernel_size // 2, params.style_length
        self.param_free_norm = param_free_norm(params.param_free_norm, num_features)
        self.noise_var = nn.Parameter(torch.zeros(num_features))  # learned noise scale, starts silent
        self.spade = SPADE(_spade_params(params), data, num_features)
        if params.use_style:
            self.num_classes = regions.style_classes(data, "normalizer 'sean'")
            # One fully connected layer per class (fc_mu0..fc_muK-1), stored stacked so
            # that all regions go through their own layer in one einsum.
            layers = [linear(d, d, init=params) for _ in range(self.num_classes)]
            self.fc_mu_weight = nn.Parameter(torch.stack([fc.weight.detach() for fc in layers]))  # (K, D, D)
            self.fc_mu_bias = nn.Parameter(torch.stack([fc.bias.detach() for fc in layers]))  # (K, D)
            self.conv_gamma = conv2d(d, num_features, ks, padding=pw, init=params)
            self.conv_beta = conv2d(d, num_features, ks, padding=pw, init=params)
            self.blending_gamma = nn.Parameter(torch.zeros(1))  # sigmoid(0) = 1/2: equal blend at start
            self.blending_beta = nn.Parameter(torch.zeros(1))

    @classmethod
    def requirements(cls, params: SEANParams, data: DataInfo) -> frozenset[str]:
        mask = SPADE.requirements(_spade_params(params), data)
        return mask | {"region_style"} if params.use_style else mask

    def blending_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(a_gamma, a_beta) in (0, 1): the share of the style branch in gamma and beta."""
        return torch.sigmoid(self.blending_gamma), torch.sigmoid(self.blending_beta)

    def style_map(self, cond: Condition, size: tuple[int, int]) -> torch.Tensor:
        """(B, D, H, W): ReLU(FC_k(code_k)) at every pixel of class k."""
        codes = cond["region_style"]
        regions.check_style_matrix(codes, cond.batch_size, self.num_classes, self.params.style_length,
                                   "normalizer 'sean'")
        codes = codes.to(self.fc_mu_weight.dtype)
        mu = F.relu(torch.einsum("bki,koi->bko", codes, self.fc_mu_weight) + self.fc_mu_bias)
        return regions.broadcast(mu, regions.region_masks(cond, self.num_classes, size))

    def style_modulation(self, x: torch.Tensor, cond: Condition) -> tuple[torch.Tensor, torch.Tensor]:
        """(gamma_s, beta_s), each (B, C, H, W), from the style matrix at x's resolution."""
        style = self.style_map(cond, tuple(x.shape[-2:])).to(x.dtype)
        return self.conv_gamma(style), self.conv_beta(style)

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        noise = torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device, dtype=x.dtype)
        normalized = self.param_free_norm(x + noise * self.noise_var.view(1, -1, 1, 1))
        gamma, beta = self.spade.modulation(x, cond)
        if self.params.use_style:
            gamma_s, beta_s = self.style_modulation(x, cond)
            a_gamma, a_beta = self.blending_weights()
            gamma = a_gamma * gamma_s + (1 - a_gamma) * gamma
            beta = a_beta * beta_s + (1 - a_beta) * beta
        return normalized * (1 + gamma) + beta

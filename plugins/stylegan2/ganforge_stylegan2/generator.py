"""The StyleGAN2 generator G = g(f(z)) with the `StyleLatentGenerator` capability, so
embedding/editing methods (Image2StyleGAN++) can drive W+, the noise inputs and the
activations of every synthesis layer directly."""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import torch
from pydantic import Field, field_validator

import ganforge
from ganforge import Condition, DataInfo
from ganforge.capabilities import ActivationEdit
from ganforge.errors import ConfigError

from .mapping import MappingNetwork
from .synthesis import SynthesisNetwork


class StyleGAN2GeneratorParams(ganforge.Params):
    z_dim: int = Field(512, ge=1, description="dimension of the latent z")
    w_dim: int = Field(512, ge=1, description="dimension of the intermediate latent w")
    mapping_layers: int = Field(8, ge=1, description="fully connected layers of the mapping network")
    mapping_lr_mul: float = Field(0.01, gt=0, description="learning-rate multiplier of the mapping network")
    w_avg_beta: float = Field(0.995, ge=0, lt=1, description="decay of the tracked average w (truncation centre)")
    channel_base: int = Field(32768, ge=1, description="channels(res) = min(channel_max, channel_base // res); "
                              "32768 = config-f (channel_multiplier 2)")
    channel_max: int = Field(512, ge=1, description="cap on the channels of any layer")
    blur_kernel: tuple[float, ...] = Field((1, 3, 3, 1), description="FIR filter around up/downsampling")
    truncation_psi: float = Field(1.0, description="psi of forward(cond) in eval mode (1 = no truncation)")
    noise: Literal["random", "fixed"] = Field(
        "random", description="random: fresh noise maps at every call; fixed: also hold one map per layer "
        "(rosinality's noises.noise_<i>, filled by `ganforge import stylegan2`) and use them in eval mode, as "
        "its randomize_noise=False (training always draws fresh noise)")

    @field_validator("blur_kernel")
    @classmethod
    def _even_taps(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if len(v) < 2 or len(v) % 2:
            raise ValueError(f"blur_kernel needs an even number (>= 2) of taps, got {list(v)}")
        return v


def square_power_of_two(data: DataInfo, who: str) -> int:
    """The side of the run's square, power-of-two resolution (StyleGAN2 doubles from 4x4)."""
    h, w = data.resolution
    if h != w or h < 4 or 2 ** int(math.log2(h)) != h:
        raise ConfigError(f"{who}: StyleGAN2 needs a square power-of-two resolution >= 4, got {data.resolution}")
    return h


def style_mix(ws: torch.Tensor, ws2: torch.Tensor, cutoff: int) -> torch.Tensor:
    """Style mixing (StyleGAN Sec. 3.1): layers before ``cutoff`` read ws, the rest ws2."""
    return torch.cat([ws[:, :cutoff], ws2[:, cutoff:]], dim=1)


class StyleGAN2Generator(ganforge.Generator):
    """StyleGAN2 config-f generator: mapping network, modulated/demodulated convolutions, noise inputs, skip outputs."""

    Params: ClassVar = StyleGAN2GeneratorParams
    # z is drawn here when the condition has none; declared so that a run checks that
    # something (the stylegan2 recipe) provides it
    requires: ClassVar = frozenset({"z"})

    def __init__(self, params: StyleGAN2GeneratorParams, data: DataInfo):
        super().__init__(params, data)
        resolution = square_power_of_two(data, "generator stylegan2")
        self.z_dim, self.w_dim = params.z_dim, params.w_dim
        self.mapping_network = MappingNetwork(params.z_dim, params.w_dim, params.mapping_layers,
                                              params.mapping_lr_mul, params.w_avg_beta)
        self.synthesis_network = SynthesisNetwork(resolution, params.w_dim, data.image_channels, params.channel_base,
                                                  params.channel_max, params.blur_kernel, params.noise == "fixed")
        self.num_ws = self.synthesis_network.num_ws

    # -- StyleLatentGenerator ----------------------------------------------------------
    def mapping(self, z: torch.Tensor, truncation_psi: float = 1.0) -> torch.Tensor:
        return self.mapping_network(z, truncation_psi)

    def mean_w(self) -> torch.Tensor:
        return self.mapping_network.w_avg.clone()

    def noise_shapes(self) -> list[tuple[int, int, int]]:
        return self.synthesis_network.noise_shapes()

    def activation_names(self) -> list[str]:
        return self.synthesis_network.activation_names()

    def synthesis(self, ws: torch.Tensor, noise: list[torch.Tensor] | None = None,
                  edit: ActivationEdit | None = None) -> torch.Tensor:
        """Images from W+ codes, not clamped (as the official code: the nominal range is
        [-1, 1], and clamping would cut the gradients of embedding methods)."""
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"stylegan2 synthesis: ws must be (B, {self.num_ws}, {self.w_dim}), got {tuple(ws.shape)}")
        return self.synthesis_network(ws, noise, edit)

    # -- the ganforge Generator contract -------------------------------------------------
    def latent(self, cond: Condition) -> torch.Tensor:
        """z from ``cond["z"]``, else drawn from N(0, I) for the condition's batch."""
        if "z" in cond:
            return cond["z"]
        device = self.synthesis_network.blocks[0].const.device
        return torch.randn(cond.batch_size, self.z_dim, device=device)

    def forward(self, cond: Condition) -> torch.Tensor:
        psi = 1.0 if self.training else self.params.truncation_psi
        w = self.mapping(self.latent(cond), psi)
        img = self.synthesis(w[:, None].expand(-1, self.num_ws, -1))
        return img if self.training else img.clamp(-1, 1)

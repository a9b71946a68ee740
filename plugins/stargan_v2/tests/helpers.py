"""Tiny StarGAN v2 networks and a hand-built run, shared by the tests."""

from __future__ import annotations

import torch
from torch import nn

import ganforge
from ganforge.run import Run

TINY_TRUNK = {"dim_in": 8, "max_conv_dim": 16}
TINY = {
    "generator": {"type": "stargan_v2", **TINY_TRUNK, "norm": {"type": "adain", "style_dim": 8}},
    "discriminator": {"type": "stargan_v2", **TINY_TRUNK},
    "mapping": {"type": "stargan_v2_mapping", "latent_dim": 4, "style_dim": 8, "hidden_dim": 16},
    "style_encoder": {"type": "stargan_v2_style", **TINY_TRUNK, "style_dim": 8},
}
KINDS = {"generator": "generator", "discriminator": "discriminator", "mapping": "encoder", "style_encoder": "encoder"}


def data_info(resolution: int = 32, num_domains: int = 2, fields=("domain",)) -> ganforge.DataInfo:
    return ganforge.DataInfo(fields=frozenset(fields), num_domains=num_domains, resolution=(resolution, resolution))


def tiny_run(data: ganforge.DataInfo, strategy_params: dict | None = None, seed: int = 0, **overrides):
    """(run, strategy) with tiny networks, set up as the trainer does."""
    torch.manual_seed(seed)
    specs = {**TINY, **overrides}
    models = nn.ModuleDict({role: ganforge.build(KINDS.get(role, "encoder"), spec, data, check=False)
                            for role, spec in specs.items()})
    strategy = ganforge.build("strategy", {"type": "stargan_v2", **(strategy_params or {})}, data)
    run = Run(config=None, data=data, models=models)
    strategy.ganforge_setup(run)
    return run, strategy


def batch_of(data: ganforge.DataInfo, b: int = 4, seed: int = 0, domains=None) -> dict:
    gen = torch.Generator().manual_seed(seed)
    h, w = data.resolution
    domain = torch.as_tensor(domains) if domains is not None else torch.arange(b) % data.num_domains
    return {"image": torch.rand(b, 3, h, w, generator=gen) * 2 - 1, "cond": ganforge.Condition(domain=domain)}

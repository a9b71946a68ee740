"""The paper's applications (Sec. 4, Figs. 1, 4, 5 and the interpolation videos):
latent-guided synthesis (several styles per target domain from random z, optionally
truncated towards the domain's average style), reference-guided synthesis (the style of
reference images), and style interpolation; plus loading trained networks from a ganforge
run folder / checkpoint or from an officially released checkpoint.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

import ganforge
from ganforge import Condition, DataInfo
from ganforge.config import Experiment


KINDS = {"generator": "generator", "mapping": "encoder", "style_encoder": "encoder", "fan": "encoder"}


@dataclass
class Networks:
    """What the applications need: G, F, E (EMA weights when available), optional FAN."""

    generator: nn.Module
    mapping: nn.Module
    style_encoder: nn.Module
    fan: nn.Module | None
    data: DataInfo
    config: Experiment | None = None  # the run's, when loaded from one (its data is the evaluation's)

    @property
    def latent_dim(self) -> int:
        return self.mapping.params.latent_dim

    def condition(self, source: torch.Tensor, style: torch.Tensor) -> Condition:
        """The generator's condition: the source, its face masks (with a FAN) and the style."""
        cond = Condition(source=source, style=style)
        if self.fan is not None:
            cond = cond.replace(face_mask=self.fan(source, cond)["face_mask"])
        return cond


def build_networks(models: dict, data: DataInfo) -> dict[str, nn.Module]:
    """The application roles of a config's ``models`` section, in eval mode. The
    generator reads what the recipe adds (source, z) and the encoders provide (style)."""
    info = data.model_copy(update={"fields": frozenset(data.fields) | {"source", "z", "style", "face_mask"}})
    return {role: ganforge.build(KINDS[role], spec, info, path=f"models.{role}", check=False).eval()
            for role, spec in models.items() if role in KINDS}


def _networks(built: dict[str, nn.Module], data: DataInfo, source: str) -> Networks:
    missing = [r for r in ("generator", "mapping", "style_encoder") if r not in built]
    if missing:
        raise ganforge.ConfigError(f"{source}: no models.{', models.'.join(missing)}; not a StarGAN v2 run")
    return Networks(built["generator"], built["mapping"], built["style_encoder"], built.get("fan"), data)


def load_networks(path: str | os.PathLike) -> Networks:
    """Networks from a ganforge run folder (its latest checkpoint) or a ganforge checkpoint
    (`ganforge.applications.open_app`; EMA weights preferred, as the paper samples with
    them), e.g. one written by ``ganforge import stargan_v2`` from an official
    ``100000_nets_ema.ckpt``. The applications read image files: the run's dataset need
    not be on disk."""
    from ganforge.applications import open_app

    app = open_app(path, "stargan_v2", "StarGAN v2's applications need models.generator, models.mapping and "
                   "models.style_encoder", roles=("mapping", "style_encoder"))
    fan = app.network("fan") if "fan" in app.restored.run.models else None
    return Networks(app.generator, app.network("mapping"), app.network("style_encoder"), fan, app.info, app.config)


# -- the applications -------------------------------------------------------------------

@torch.no_grad()
def average_style(nets: Networks, domain: int, samples: int = 10_000) -> torch.Tensor:
    """The mean style code of a domain over ``samples`` random z (for truncation)."""
    z = torch.randn(samples, nets.latent_dim)
    y = torch.full((samples,), domain, dtype=torch.long)
    return nets.mapping(None, Condition(z=z, domain=y))["style"].mean(0, keepdim=True)


@torch.no_grad()
def latent_guided(nets: Networks, source: torch.Tensor, domains: Sequence[int], z: torch.Tensor,
                  psi: float = 1.0) -> list[torch.Tensor]:
    """For each target domain and each latent code z_k (K, latent_dim): the sources
    translated with s = lerp(s_avg, F_y(z_k), psi), one (B, 3, H, W) row per (domain, z_k).
    psi = 1 uses F_y(z) as it is."""
    b, rows = source.shape[0], []
    for d in domains:
        y = torch.full((b,), d, dtype=torch.long)
        s_avg = average_style(nets, d) if psi != 1.0 else None
        for zk in z:
            s = nets.mapping(None, Condition(z=zk.expand(b, -1), domain=y))["style"]
            if s_avg is not None:
                s = torch.lerp(s_avg.expand_as(s), s, psi)
            rows.append(nets.generator(nets.condition(source, s)))
    return rows


@torch.no_grad()
def reference_guided(nets: Networks, source: torch.Tensor, reference: torch.Tensor,
                     reference_domain: torch.Tensor) -> list[torch.Tensor]:
    """For each reference j: all sources translated with s = E_y(x_ref_j), one row each."""
    styles = nets.style_encoder(reference, Condition(domain=reference_domain))["style"]
    b = source.shape[0]
    return [nets.generator(nets.condition(source, s.expand(b, -1))) for s in styles]


@torch.no_grad()
def interpolate(nets: Networks, source: torch.Tensor, s_from: torch.Tensor, s_to: torch.Tensor,
                steps: int) -> list[torch.Tensor]:
    """The sources translated along the line from style s_from to s_to (each (1, D) or
    (B, D)), ``steps`` points including both ends."""
    if steps < 2:
        raise ValueError(f"interpolation needs at least 2 steps, got {steps}")
    b = source.shape[0]
    return [nets.generator(nets.condition(source, torch.lerp(s_from, s_to, float(a)).expand(b, -1)))
            for a in torch.linspace(0, 1, steps)]

"""The optimisation: W+ embedding, noise-space embedding and the paper's sequential
schedule between them (Sec. 3: optimising both jointly is unstable, so W+ first with the
noise fixed, then the noise with W+ fixed; ``rounds`` > 1 alternates again).

Uses only the `StyleLatentGenerator` members (``num_ws``, ``mean_w``, ``noise_shapes``,
``synthesis``), so any StyleGAN-like generator can be embedded into.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from pydantic import Field

import ganforge
from ganforge.capabilities import StyleLatentGenerator, require

from .objective import Objective, Stage

WHO = "image2stylegan_pp"


class Schedule(ganforge.Params):
    """Adam on W+ (Image2StyleGAN's lr 0.01, 5000 steps), then Adam on the noise maps."""

    w_steps: int = Field(5000, ge=0, description="Adam steps on W+ per round (noise fixed)")
    noise_steps: int = Field(3000, ge=0, description="Adam steps on the noise inputs per round (W+ fixed)")
    rounds: int = Field(1, ge=1, description="times the W+ -> noise sequence is repeated")
    lr: float = Field(0.01, gt=0, description="Adam learning rate of the W+ stage")
    noise_lr: float = Field(5.0, gt=0, description="Adam learning rate of the noise stage (the maps enter "
                                                   "through small learned strengths, so they need large steps)")
    betas: tuple[float, float] = Field((0.9, 0.999), description="Adam betas")
    eps: float = Field(1e-8, gt=0, description="Adam epsilon")


@dataclass
class Embedding:
    """The optimised W+ (B, num_ws, w_dim) and noise, the per-step losses, and a snapshot
    (stage, ws, noise) at the end of every stage (e.g. the W+-only result)."""

    ws: torch.Tensor
    noise: list[torch.Tensor]
    history: list[dict[str, float | str]] = field(default_factory=list)
    snapshots: list[tuple[Stage, torch.Tensor, list[torch.Tensor]]] = field(default_factory=list)

    def render(self, G: StyleLatentGenerator, ws: torch.Tensor | None = None,
               noise: list[torch.Tensor] | None = None, edit=None) -> torch.Tensor:
        with torch.no_grad():
            return G.synthesis(self.ws if ws is None else ws, self.noise if noise is None else noise, edit=edit)


def initial_latents(G: StyleLatentGenerator, batch: int, seed: int = 0) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """W+ = the mean w in every layer (the paper's start), noise ~ N(0, I) from ``seed``."""
    require(G, StyleLatentGenerator, WHO)
    mean = G.mean_w().detach()
    ws = mean.view(1, 1, -1).expand(batch, G.num_ws, -1).clone()
    gen = torch.Generator().manual_seed(seed)
    noise = [torch.randn(batch, *s, generator=gen).to(mean.device) for s in G.noise_shapes()]
    return ws, noise


def embed(G: StyleLatentGenerator, objective: Objective, schedule: Schedule,
          ws: torch.Tensor | None = None, noise: list[torch.Tensor] | None = None, seed: int = 0) -> Embedding:
    """Minimise ``objective`` over W+ then the noise, ``schedule.rounds`` times.

    The noise maps move only where a pixel term sees the image (the objective's
    `pixel_support`, area-resized to each map): inside a hole or a style region the
    generator keeps its own noise instead of noise fitted, at the noise stage's large lr, to
    the region's border. The generator's own parameters get no gradients (the loss is
    differentiated w.r.t. the latents only), so a caller's generator is left untouched."""
    require(G, StyleLatentGenerator, WHO)
    b = objective.shape[0]
    ws0, noise0 = initial_latents(G, b, seed)
    ws = (ws0 if ws is None else ws).detach().clone().requires_grad_(True)
    noise = [n.detach().clone().requires_grad_(True) for n in (noise0 if noise is None else noise)]
    out = Embedding(ws, noise)
    support = objective.pixel_support()
    gates = {"w": [None], "noise": [None if support is None else  # gradient factor per parameter
                                    F.interpolate(support.to(n), size=n.shape[-2:], mode="area") for n in noise]}
    stages: list[tuple[Stage, list[torch.Tensor], int, float]] = [
        ("w", [ws], schedule.w_steps, schedule.lr), ("noise", noise, schedule.noise_steps, schedule.noise_lr)]
    for _ in range(schedule.rounds):
        for stage, params, steps, lr in stages:
            if steps == 0:
                continue
            opt = torch.optim.Adam(params, lr=lr, betas=schedule.betas, eps=schedule.eps)
            for _ in range(steps):
                losses = objective(G.synthesis(ws, noise), stage)
                grads = torch.autograd.grad(losses["total"], params)
                for p, g, gate in zip(params, grads, gates[stage]):
                    p.grad = g if gate is None else g * gate
                opt.step()
                out.history.append({"stage": stage, **{k: float(v.detach()) for k, v in losses.items()}})
            out.snapshots.append((stage, ws.detach().clone(), [n.detach().clone() for n in noise]))
    out.ws, out.noise = ws.detach(), [n.detach() for n in noise]
    return out

"""The StyleGAN2 training recipe (paper Sec. 3.1-3.2, Appendix B; official training/loss.py).

    D: softplus(D(G(z))) + softplus(-D(x))                     non-saturating logistic loss
       + every 16 steps: 16 * gamma/2 * E||grad_x D(x)||^2      lazy R1 (the trainer's train.r1)
    G: softplus(-D(G(z)))                                       with style mixing (prob 0.9)
       + every 4 steps: 4 * w_pl * E_{w,y}(||J_w^T y||_2 - a)^2  lazy path length (Eq. 4)

where y ~ N(0, I) / sqrt(H W) is an image-space direction, J_w the Jacobian of g at w, and
``a`` the running mean of the lengths (decay 0.01). The path-length batch is half the
minibatch (pl_batch_shrink 2), the weight 2 (= ln 2 / (r^2 (ln r - ln 2)) at 1024 px, the
official default at every resolution).

R1 is the trainer's mechanism (``train.r1``: it adds ``interval * gamma/2 * E||grad||^2``
to this recipe's D loss every ``interval`` steps), so the recipe only requires it to be
configured. The path length term needs the mapping output w and the running mean ``a``,
which only the recipe has, so the recipe applies it lazily itself. Both lazy terms are
summed into the regular step's loss (one optimiser update) instead of the official separate
"reg" phase with its own update: the trainer makes one update per player and step. The
Adam lr/beta correction of lazy regularisation (c = k / (k + 1): lr * c, beta ** c) lives in
the configs' ``optim`` section.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field

import ganforge
from ganforge import StepResult
from ganforge.capabilities import StyleLatentGenerator, require
from ganforge.run import Run

from .generator import style_mix

PL_MEAN = "stylegan2_pl_mean"


def logistic(scores: list[torch.Tensor], sign: float) -> torch.Tensor:
    """mean softplus(sign * D): sign +1 for fakes in D's loss, -1 for reals in D's loss and
    for G's loss; averaged over score maps so multi-scale discriminators of other papers fit."""
    return sum(F.softplus(sign * s).mean() for s in scores) / len(scores)


class StyleGAN2Params(ganforge.Params):
    style_mixing_prob: float = Field(0.9, ge=0, le=1, description="share of batches generated from two latents")
    pl_weight: float = Field(2.0, ge=0, description="weight of the path length penalty (0 = off)")
    pl_interval: int = Field(4, ge=1, description="lazy regularisation: path length every k G steps")
    pl_decay: float = Field(0.01, gt=0, le=1, description="decay of the running mean path length a")
    pl_batch_shrink: int = Field(2, ge=1, description="path length batch = batch // shrink")
    sample_truncation_psi: float = Field(0.7, description="psi of the truncated row of sample grids")


def lazy_adam_correction(interval: int, lr: float = 0.002, beta2: float = 0.99) -> tuple[float, float]:
    """(lr, beta2) of an optimiser whose regulariser runs every ``interval`` steps (paper
    Appendix B: the update happens interval + 1 times per interval steps officially)."""
    c = interval / (interval + 1)
    return lr * c, beta2 ** c


def mixing_cutoff(num_ws: int, prob: float) -> int:
    """Layer index where the second latent takes over; ``num_ws`` (no mixing) with
    probability 1 - prob, else uniform in [1, num_ws - 1]."""
    if num_ws > 1 and torch.rand(()).item() < prob:
        return int(torch.randint(1, num_ws, ()).item())
    return num_ws


def path_lengths(G: Any, ws: torch.Tensor) -> torch.Tensor:
    """||J_w^T y||_2 per sample, averaged over the W+ layers as the official code."""
    img = G.synthesis(ws)
    y = torch.randn_like(img) / math.sqrt(img.shape[2] * img.shape[3])
    (grad,) = torch.autograd.grad((img * y).sum(), ws, create_graph=True)
    return grad.square().sum(2).mean(1).sqrt()


class StyleGAN2(ganforge.Strategy):
    """StyleGAN2 recipe: logistic loss, lazy R1 (train.r1), lazy path length, style mixing."""

    builds_own_inputs = "it drives the generator through G.synthesis(ws) from sampled latents"

    Params: ClassVar = StyleGAN2Params
    networks = {"generator": "generator", "discriminator": "discriminator"}
    optimizers = {"generator": ("generator",), "discriminator": ("discriminator",)}
    provides = frozenset({"z"})

    # -- pieces of a step --------------------------------------------------------------
    def sample_ws(self, G: Any, batch_size: int, device: torch.device) -> torch.Tensor:
        """W+ codes of fresh latents, two of them mixed with probability style_mixing_prob."""
        z = torch.randn(2, batch_size, G.z_dim, device=device)
        ws = G.mapping(z[0])[:, None].expand(-1, G.num_ws, -1)
        cutoff = mixing_cutoff(G.num_ws, self.params.style_mixing_prob)
        if cutoff < G.num_ws:
            ws = style_mix(ws, G.mapping(z[1])[:, None].expand(-1, G.num_ws, -1), cutoff)
        return ws

    def path_length_penalty(self, run: Run, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(k * w_pl * E(||J^T y|| - a)^2, mean length); updates ``a`` in run.state."""
        G = run.models["generator"]
        ws = self.sample_ws(G, max(1, batch_size // self.params.pl_batch_shrink), run.device)
        lengths = path_lengths(G, ws)
        a = run.state.get(PL_MEAN, torch.zeros((), device=run.device))
        a = a.lerp(lengths.detach().mean(), self.params.pl_decay)
        run.state[PL_MEAN] = a
        penalty = (lengths - a).square().mean() * (self.params.pl_weight * self.params.pl_interval)
        return penalty, lengths.detach().mean()

    # -- run hooks -----------------------------------------------------------------------
    @ganforge.hookimpl
    def ganforge_setup(self, run: Run) -> None:
        require(run.models["generator"], StyleLatentGenerator, "strategy 'stylegan2'")
        if not hasattr(run.models["generator"], "z_dim"):
            raise ganforge.ConfigError("strategy 'stylegan2': models.generator must have z_dim (the width of z)")
        if run.config.train.r1.gamma <= 0:
            raise ganforge.ConfigError("strategy 'stylegan2': set train.r1.gamma > 0 (lazy R1, interval 16; "
                                       "gamma 10 for FFHQ, see the plugin's configs)")

    @ganforge.hookimpl
    def ganforge_prepare_batch(self, run: Run, batch: dict[str, Any]) -> None:
        """Adds a latent z per image, so evaluation can run G on the batch's condition."""
        b = batch["image"].shape[0]
        batch["cond"] = batch["cond"].replace(z=torch.randn(b, run.models["generator"].z_dim, device=run.device))

    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        G, D = run.models["generator"], run.models["discriminator"]
        real, cond = batch["image"], batch["cond"]
        with run.autocast():
            with torch.no_grad():
                fake = G.synthesis(self.sample_ws(G, real.shape[0], run.device))
            d_fake = logistic(D(fake, cond).scores, 1.0)
            d_real = logistic(D(real, cond).scores, -1.0)
        return StepResult(d_fake + d_real, {"d_fake": d_fake.detach(), "d_real": d_real.detach()})

    @ganforge.hookimpl
    def ganforge_generator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        G, D = run.models["generator"], run.models["discriminator"]
        b, p = batch["image"].shape[0], self.params
        with run.frozen("discriminator"):
            with run.autocast():
                fake = G.synthesis(self.sample_ws(G, b, run.device))
                loss = logistic(D(fake, batch["cond"]).scores, -1.0)
            logs: dict[str, torch.Tensor | float] = {"g_adv": loss.detach()}
            if p.pl_weight > 0 and run.step % p.pl_interval == 0:
                penalty, length = self.path_length_penalty(run, b)  # full precision: a double backward
                loss = loss + penalty
                logs.update(pl=penalty.detach(), pl_length=length, pl_mean=run.state[PL_MEAN].detach())
        return StepResult(loss, logs)

    @ganforge.hookimpl
    def ganforge_sample(self, run: Run, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Rows: real images; G(z) without truncation; the same z with psi = sample_truncation_psi
        (the averaged generator when there is one)."""
        G = run.generator_for_sampling()
        image = batch["image"]
        with torch.no_grad(), run.autocast():
            z = torch.randn(image.shape[0], G.z_dim, device=image.device)
            rows = {"real": image} | {
                f"generated, psi {psi:g}": G.synthesis(G.mapping(z, psi)[:, None].expand(-1, G.num_ws, -1)).clamp(-1, 1)
                for psi in (1.0, self.params.sample_truncation_psi)}
        return {name: r.to(image.dtype) for name, r in rows.items()}

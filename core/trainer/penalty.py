"""Gradient penalties the trainer applies on a recipe's behalf (a recipe enables them in
the config, the trainer adds them to the discriminator's loss)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ganforge.config import R1


def r1_due(cfg: R1, step: int) -> bool:
    """Lazy regularisation: the penalty runs every ``interval`` steps (StyleGAN2)."""
    return cfg.gamma > 0 and step % cfg.interval == 0


def r1_penalty(discriminator: nn.Module, batch: dict[str, Any], cfg: R1) -> torch.Tensor:
    """``interval * gamma / 2 * E_x[||grad_x sum(D(x))||^2]`` on the real images.

    Scaled by ``interval`` so that the lazy penalty has the strength of one applied every
    step. Computed in full precision: the double backward is sensitive to rounding.
    """
    real = batch["image"].detach().float().requires_grad_(True)
    with torch.autocast(device_type=real.device.type, enabled=False):
        out = discriminator(real, batch["cond"])
        score = sum(s.float().sum() for s in out.scores)
        (grad,) = torch.autograd.grad(score, real, create_graph=True)
    return grad.square().flatten(1).sum(1).mean() * (cfg.gamma / 2 * cfg.interval)

"""Exponential moving average of network weights (``G_ema`` of Karras et al.).

Sampling with the averaged generator gives visibly steadier images than the raw one.
Buffers (BatchNorm statistics) are copied, not averaged.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """``shadow = beta * shadow + (1 - beta) * weights`` after every step from ``start``;
    before ``start`` the shadow copies the weights."""

    def __init__(self, module: nn.Module, beta: float, start: int):
        self.module = module
        self.beta = beta
        self.start = start
        self.shadow = copy.deepcopy(module).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, step: int) -> None:
        beta = self.beta if step >= self.start else 0.0
        for s, p in zip(self.shadow.parameters(), self.module.parameters()):
            s.lerp_(p.detach(), 1.0 - beta)
        for s, b in zip(self.shadow.buffers(), self.module.buffers()):
            s.copy_(b)

"""Optimisers per the recipe's ``optimizers``, the learning-rate schedule, and which
optimisers step after which phase of a training step."""

from __future__ import annotations

from typing import Any

import torch

from ganforge.config import Adam, Experiment, RMSprop, Schedule
from ganforge.run import Run


def param_groups(run: Run, recipe_optimizers: dict[str, tuple[str, ...]]) -> dict[str, list[dict[str, Any]]]:
    """Name -> parameter groups. A strategy may return its own through
    ``ganforge_param_groups``; the default is the trainable parameters of the listed roles,
    each parameter owned by the first optimiser that lists it (shared modules after
    discriminator reuse stay in one optimiser). Optimisers left without parameters
    (their roles are optional and absent) are dropped."""
    owned: set[int] = set()
    out: dict[str, list[dict[str, Any]]] = {}
    for name, roles in recipe_optimizers.items():
        groups = run.hook.ganforge_param_groups(run=run, optimizer=name)
        if groups is None:
            params = []
            for role in roles:
                if role not in run.models:
                    continue
                for p in run.models[role].parameters():
                    if p.requires_grad and id(p) not in owned:
                        owned.add(id(p))
                        params.append(p)
            groups = [{"params": params}] if params else []
        else:
            groups = [dict(g, params=list(g["params"])) for g in groups]
            owned.update(id(p) for g in groups for p in g["params"])
        if any(g["params"] for g in groups):
            out[name] = groups
    return out


def make_optimizers(run: Run, exp: Experiment, recipe_optimizers: dict[str, tuple[str, ...]]) -> dict[str, torch.optim.Optimizer]:
    """One optimiser per recipe optimiser with the config's settings (Adam's defaults when
    not configured)."""
    optims = {}
    for name, groups in param_groups(run, recipe_optimizers).items():
        cfg = exp.optim.get(name, Adam())
        if isinstance(cfg, RMSprop):
            optims[name] = torch.optim.RMSprop(groups, lr=cfg.lr, alpha=cfg.alpha, eps=cfg.eps,
                                               weight_decay=cfg.weight_decay, momentum=cfg.momentum)
        else:
            optims[name] = torch.optim.Adam(groups, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps,
                                            weight_decay=cfg.weight_decay)
        for g in optims[name].param_groups:
            g.setdefault("base_lr", g["lr"])
    return optims


def phases(recipe_optimizers: dict[str, tuple[str, ...]], kinds: dict[str, str],
           present: dict[str, torch.optim.Optimizer]) -> dict[str, list[str]]:
    """Phase -> optimiser names: an optimiser whose roles are all discriminators steps
    after the discriminator step, every other one after the generator step."""
    out: dict[str, list[str]] = {"discriminator": [], "generator": []}
    for name, roles in recipe_optimizers.items():
        if name not in present:
            continue
        is_d = bool(roles) and all(kinds.get(r) == "discriminator" for r in roles)
        out["discriminator" if is_d else "generator"].append(name)
    return out


def lr_factor(schedule: Schedule, step: int, total: int) -> float:
    """Multiplier of every base rate at ``step`` (0-based): constant, or SPADE's linear
    decay to zero over the last ``decay_steps`` steps."""
    if schedule.type == "constant":
        return 1.0
    start = total - schedule.decay_steps
    return 1.0 if step < start else max(0.0, 1.0 - (step - start) / schedule.decay_steps)


def set_learning_rates(optimizers: dict[str, torch.optim.Optimizer], factor: float) -> None:
    for opt in optimizers.values():
        for g in opt.param_groups:
            g["lr"] = g["base_lr"] * factor

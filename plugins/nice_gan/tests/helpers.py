"""Tiny NICE-GAN runs assembled the way the trainer assembles them (its own functions),
and one optimiser step per phase."""

from __future__ import annotations

import torch
from torch import nn

import ganforge
from ganforge.config import from_dict, recipe_networks
from ganforge.run import Run
from ganforge.trainer.assemble import build_strategies, run_manager
from ganforge.trainer.optim import make_optimizers

RES = 64
TINY_D = {"type": "nice_gan", "ch": 4, "n_dis": 6}
TINY_G = {"type": "nice_gan", "ch": 4, "n_res": 1, "light": True}
TINY_MODELS = {"generator_ab": TINY_G, "generator_ba": TINY_G, "discriminator_a": TINY_D, "discriminator_b": TINY_D}


def data_info(resolution: int = RES) -> ganforge.DataInfo:
    return ganforge.DataInfo(fields=frozenset({"domain"}), num_domains=2, resolution=(resolution, resolution))


def make_run(models: dict, strategy: dict | str = "nice_gan", strategies: tuple = (), seed: int = 0,
             data: ganforge.DataInfo | None = None, rewire=None):
    """(run, optimisers): networks, recipe and extra strategies built from a config tree,
    set up, and optimisers made as the trainer makes them. ``rewire(run)`` runs after
    setup (for controls that share layers without the strategy)."""
    data = data or data_info()
    optim = {"generator": {"lr": 1e-2}, "discriminator": {"lr": 1e-2}}
    exp = from_dict({"data": {"type": "synthetic"}, "models": models, "strategy": strategy,
                     "strategies": list(strategies), "optim": optim})
    kinds, _ = recipe_networks(exp)
    torch.manual_seed(seed)
    # check=False: the generators read the field the recipe provides (see the report / README)
    nets = nn.ModuleDict({role: ganforge.build(kinds[role], spec, data, check=False) for role, spec in models.items()})
    strats = build_strategies(exp, data)
    pm = run_manager(strats)
    run = Run(config=exp, data=data, models=nets, hook=pm.hook)
    pm.hook.ganforge_setup(run=run)
    if rewire is not None:
        rewire(run)
    return run, make_optimizers(run, exp, type(strats[0]).optimizers)


def batch_of(domains=(0, 1, 0, 1), resolution: int = RES, seed: int = 0) -> dict:
    gen = torch.Generator().manual_seed(seed)
    image = torch.rand(len(domains), 3, resolution, resolution, generator=gen) * 2 - 1
    return {"image": image, "cond": ganforge.Condition(domain=torch.tensor(domains))}


def step(run: Run, optimizers: dict, phase: str, batch: dict) -> ganforge.StepResult:
    """One phase as the trainer runs it: the recipe's loss, backward, the phase's optimiser."""
    result = getattr(run.hook, f"ganforge_{phase}_step")(run=run, batch=batch)
    opt = optimizers[phase]
    opt.zero_grad(set_to_none=True)
    result.loss.backward()
    opt.step()
    return result


def snapshot(module: nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in module.named_parameters()}


def changed(module: nn.Module, before: dict[str, torch.Tensor]) -> set[str]:
    return {n for n, p in module.named_parameters() if not torch.equal(p, before[n])}

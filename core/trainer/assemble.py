"""Turn a verified config into live objects: the dataset, the networks per role, the
recipe and extra strategies, and the run-scoped plugin manager that holds them.

Shared by training, sampling and ``ganforge params`` so that all three build exactly the
same networks from a config.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pluggy
import torch
from torch import nn

from ganforge import hookspecs
from ganforge import registry as _registry
from ganforge.config import Experiment, recipe_networks
from ganforge.interfaces import DataInfo, Strategy
from ganforge.runhooks import register_strategy


@dataclass
class Parts:
    """What a config builds into."""

    models: nn.ModuleDict
    strategies: list[Strategy]
    kinds: dict[str, str]
    pm: pluggy.PluginManager

    @property
    def recipe(self) -> Strategy:
        return self.strategies[0]


def build_networks(exp: Experiment, data: DataInfo) -> tuple[nn.ModuleDict, dict[str, str]]:
    """Role -> network, in the recipe's order; optional roles only when configured."""
    kinds, _ = recipe_networks(exp)
    models = nn.ModuleDict()
    for role, kind in kinds.items():
        if role in exp.models:
            models[role] = _registry.build(kind, exp.models[role], data, path=f"models.{role}")
    return models, kinds


def build_strategies(exp: Experiment, data: DataInfo) -> list[Strategy]:
    """The recipe, then the extra strategies, in config order."""
    out = [_registry.build("strategy", exp.strategy, data, path="strategy")]
    out += [_registry.build("strategy", s, data, path=f"strategies.{i}") for i, s in enumerate(exp.strategies)]
    return out


def run_manager(strategies: list[Strategy]) -> pluggy.PluginManager:
    """A manager with `RunSpecs` holding the recipe first: pluggy calls later
    registrations first, so the extra strategies' wrappers wrap the recipe. Each strategy's
    hooks are validated first (`ganforge.runhooks`): a misspelt or unmarked hook is an error."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs.RunSpecs)
    for i, strategy in enumerate(strategies):
        register_strategy(pm, strategy, name=f"{i}:{type(strategy).__name__}")
    return pm


def assemble(exp: Experiment, data: DataInfo) -> Parts:
    models, kinds = build_networks(exp, data)
    strategies = build_strategies(exp, data)
    return Parts(models, strategies, kinds, run_manager(strategies))


def parameter_counts(models: nn.ModuleDict) -> dict[str, dict[str, Any]]:
    """Role -> {"total", "trainable"} parameter counts (``parameters()`` counts a shared
    tensor once)."""
    out = {}
    for role, module in models.items():
        params = list(module.parameters())
        out[role] = {"total": sum(p.numel() for p in params),
                     "trainable": sum(p.numel() for p in params if p.requires_grad)}
    return out

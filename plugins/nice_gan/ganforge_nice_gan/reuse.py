"""Discriminator reuse with decoupled training (NICE-GAN, paper Sec. 3.2), as a strategy
any recipe can add.

For each (generator, discriminator) pair the config names, ``ganforge_setup`` gives the
generator the discriminator's early layers in place of its own source-image encoder
(the core's contract, `ganforge.reuse`: the discriminator's ``reuse`` capability, cut at
the generator's embedding; the generator's ``swappable_encoder`` capability), so the
generator encodes with what the discriminator learnt.

Decoupled training (the paper's default) keeps those shared layers a part of the
discriminator only: they are left out of every optimiser that does not own the
discriminator (``ganforge_param_groups``), and frozen while the generator's loss is
computed (a wrapper around ``ganforge_generator_step``), so they are trained only when
the adversarial loss is maximised. Coupled training (``decoupled: false``, the paper's
ablation) lets the generator's objective train them too: the generator's optimiser steps
them as well, and ``run.frozen`` leaves them trainable in the generator step.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field
from torch import nn

import ganforge
from ganforge.config import recipe_class
from ganforge.reuse import shared_encoder
from ganforge.run import Run, frozen_parameters


class ReuseParams(ganforge.Params):
    pairs: dict[str, str] = Field(default_factory=lambda: {"generator": "discriminator"},
                                  description="generator role -> discriminator role whose early layers become "
                                  "its encoder (the source domain's discriminator in two-domain recipes)")
    decoupled: bool = Field(True, description="train the shared layers by the discriminator's loss only (the "
                            "paper's decoupled training); false: the generator's objective trains them too")


class DiscriminatorReuse(ganforge.Strategy):
    """Discriminator reuse: generators encode with discriminators' early layers, trained decoupled."""

    Params: ClassVar = ReuseParams

    @classmethod
    def network_needs(cls, params: ReuseParams) -> dict[str, frozenset[str]]:
        """Each paired discriminator exposes its early layers ('reuse'), each paired
        generator takes them in place of its encoder ('swappable_encoder')."""
        return {**{g_role: frozenset({"swappable_encoder"}) for g_role in params.pairs},
                **{d_role: frozenset({"reuse"}) for d_role in params.pairs.values()}}

    def __init__(self, params: ReuseParams, data: ganforge.DataInfo):
        super().__init__(params, data)
        self.shared: dict[int, nn.Parameter] = {}  # id -> the reused layers' parameters
        self.optimizer_roles: dict[str, tuple[str, ...]] = {}

    def _network(self, run: Run, role: str, kind: str) -> nn.Module:
        if role not in run.models:
            raise ganforge.ConfigError(f"strategy 'discriminator_reuse': pairs names {kind} role {role!r}, but the "
                                       f"run's networks are {', '.join(run.models)}")
        return run.models[role]

    def _rewire(self, run: Run, g_role: str, d_role: str) -> None:
        G, D = self._network(run, g_role, "generator"), self._network(run, d_role, "discriminator")
        who = f"strategy 'discriminator_reuse': models.{g_role} with models.{d_role}"
        if not callable(getattr(G, "share_encoder", None)) or not callable(getattr(G, "encoder_embedding", None)):
            raise ganforge.ConfigError(f"{who}: {type(G).__name__} cannot take a shared encoder (needs "
                                       "encoder_embedding() and share_encoder(), the 'swappable_encoder' capability)")
        encoder = shared_encoder(D, G.encoder_embedding(), who)
        G.share_encoder(encoder)
        self.shared.update({id(p): p for p in encoder.parameters()})

    @ganforge.hookimpl
    def ganforge_setup(self, run: Run) -> None:
        for g_role, d_role in self.params.pairs.items():
            self._rewire(run, g_role, d_role)
        if run.config is None:
            raise ganforge.ConfigError("strategy 'discriminator_reuse' reads the recipe's optimisers from run.config; "
                                       "build the Run with its experiment config")
        self.optimizer_roles = dict(recipe_class(run.config).optimizers)
        if not self.params.decoupled:
            run.keep_trainable |= set(self.shared)

    def _default_groups(self, run: Run, optimizer: str) -> list[dict[str, Any]]:
        """The trainer's default for ``optimizer``: its roles' trainable parameters not
        owned by an optimiser listed before it."""
        earlier: set[int] = set()
        for name, roles in self.optimizer_roles.items():
            if name == optimizer:
                break
            earlier |= {id(p) for r in roles if r in run.models for p in run.models[r].parameters()}
        params, seen = [], set()
        for role in self.optimizer_roles[optimizer]:
            if role not in run.models:
                continue
            for p in run.models[role].parameters():
                if p.requires_grad and id(p) not in earlier | seen:
                    seen.add(id(p))
                    params.append(p)
        return [{"params": params}]

    @ganforge.hookimpl(wrapper=True)
    def ganforge_param_groups(self, run: Run, optimizer: str):
        """Every optimiser that does not update a reused discriminator loses the shared
        layers (the recipe's groups, or the default ones)."""
        groups = yield
        roles = set(self.optimizer_roles.get(optimizer, ()))
        owns_d, owns_g = bool(roles & set(self.params.pairs.values())), bool(roles & set(self.params.pairs))
        if not self.params.decoupled and (owns_d or owns_g):
            # coupled: the generator's and the discriminator's optimisers both step them,
            # whichever lists them first
            groups = groups if groups is not None else self._default_groups(run, optimizer)
            listed = {id(p) for g in groups for p in g["params"]}
            missing = [p for p in self.shared.values() if id(p) not in listed]
            return groups + ([{"params": missing}] if missing else [])
        if owns_d or not owns_g:
            return groups
        if groups is None:
            groups = self._default_groups(run, optimizer)
        return [dict(g, params=[p for p in g["params"] if id(p) not in self.shared]) for g in groups]

    @ganforge.hookimpl(wrapper=True)
    def ganforge_generator_step(self, run: Run, batch: dict[str, Any]):
        """Decoupled: the shared layers get no gradient from the generator's objective."""
        if not self.params.decoupled:
            return (yield)
        with frozen_parameters(self.shared.values()):
            return (yield)

"""Discriminator reuse with decoupled training (NICE-GAN, paper Sec. 3.2), as a strategy
any recipe can add.

For each (generator, discriminator) pair the config names, ``ganforge_setup`` replaces the
generator's own encoder module by the discriminator's early layers, so the generator
encodes with what the discriminator learnt. Decoupled training then keeps those shared
layers a part of the discriminator only: they are left out of every optimiser that does
not own the discriminator (``ganforge_param_groups``), and frozen while the generator's
loss is computed (a wrapper around ``ganforge_generator_step``), so they are trained only
when the adversarial loss is maximised and fixed when it is minimised.

The protocol: the discriminator exposes ``encode(image)`` and the module behind it as
``encoder`` (returning the embedding, or a tuple whose first item is the embedding); the
generator holds its encoder in the attribute named by ``attribute`` (``encoder``) and
calls it on the source image. Embedding shapes are checked at setup.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from pydantic import Field
from torch import nn

import ganforge
from ganforge.config import recipe_class
from ganforge.run import Run, frozen_parameters


class ReusedEncoder(nn.Module):
    """A discriminator's early layers in the place of a generator's encoder: the same
    module (shared parameters), returning the embedding only."""

    def __init__(self, layers: nn.Module):
        super().__init__()
        self.layers = layers

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        out = self.layers(image)
        return out[0] if isinstance(out, tuple) else out


class ReuseParams(ganforge.Params):
    pairs: dict[str, str] = Field(default_factory=lambda: {"generator": "discriminator"},
                                  description="generator role -> discriminator role whose early layers become "
                                  "its encoder (the source domain's discriminator in two-domain recipes)")
    attribute: str = Field("encoder", description="the generator's attribute holding its encoder module")


class DiscriminatorReuse(ganforge.Strategy):
    """Discriminator reuse: generators encode with discriminators' early layers, trained decoupled."""

    Params: ClassVar = ReuseParams

    @classmethod
    def network_needs(cls, params: ReuseParams) -> dict[str, frozenset[str]]:
        """Each paired discriminator must expose its early layers (the 'reuse' capability)."""
        return {d_role: frozenset({"reuse"}) for d_role in params.pairs.values()}

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
        attr = self.params.attribute
        layers = getattr(D, "encoder", None)
        if not callable(getattr(D, "encode", None)) or not isinstance(layers, nn.Module):
            raise ganforge.ConfigError(f"strategy 'discriminator_reuse': models.{d_role} ({type(D).__name__}) does "
                                       "not expose its early layers (needs an 'encoder' module and 'encode(image)')")
        own = getattr(G, attr, None)
        if not isinstance(own, nn.Module):
            raise ganforge.ConfigError(f"strategy 'discriminator_reuse': models.{g_role} ({type(G).__name__}) has no "
                                       f"encoder module '{attr}' to replace")
        reused = ReusedEncoder(layers)
        device = next(D.parameters()).device
        probe = torch.zeros(2, self.data.image_channels, *self.data.resolution, device=device)
        with torch.no_grad():
            want, got = own(probe).shape, reused(probe).shape
        if want != got:
            raise ganforge.ConfigError(f"strategy 'discriminator_reuse': models.{d_role}'s embedding has shape "
                                       f"{tuple(got[1:])} but models.{g_role}.{attr} produces {tuple(want[1:])}")
        setattr(G, attr, reused)
        self.shared.update({id(p): p for p in layers.parameters()})

    @ganforge.hookimpl
    def ganforge_setup(self, run: Run) -> None:
        for g_role, d_role in self.params.pairs.items():
            self._rewire(run, g_role, d_role)
        if run.config is None:
            raise ganforge.ConfigError("strategy 'discriminator_reuse' reads the recipe's optimisers from run.config; "
                                       "build the Run with its experiment config")
        self.optimizer_roles = dict(recipe_class(run.config).optimizers)

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
        roles = self.optimizer_roles.get(optimizer, ())
        if set(roles) & set(self.params.pairs.values()) or not set(roles) & set(self.params.pairs):
            return groups
        if groups is None:
            groups = self._default_groups(run, optimizer)
        return [dict(g, params=[p for p in g["params"] if id(p) not in self.shared]) for g in groups]

    @ganforge.hookimpl(wrapper=True)
    def ganforge_generator_step(self, run: Run, batch: dict[str, Any]):
        """The shared layers get no gradient from the generator's objective."""
        with frozen_parameters(self.shared.values()):
            return (yield)

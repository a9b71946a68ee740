"""The `Run`: what a strategy's hooks receive. The trainer creates and owns it."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

from . import conditioning
from .condition import Condition
from .interfaces import DataInfo


@dataclass
class Run:
    """The state of one training (or sampling) run, shared by the trainer and the hooks.

    :param config: the validated experiment config (``ganforge.config.Experiment``).
    :param data: what the data provides; networks were built against it.
    :param models: role -> network (``generator``, ``discriminator``, ``encoder`` ...), the
        plain modules: data-parallel training averages gradients across ranks after
        backward, so a recipe may call any network any number of times per step.
    :param device: where models and batches live.
    :param ema: role -> exponential moving average copy (usually only the generator).
    :param step: completed training steps.
    :param amp_dtype: the autocast dtype, or None for full precision.
    :param hook: the run-scoped pluggy hook relay (call other strategies' run hooks).
    :param state: free-form per-run storage for strategies (saved in checkpoints when
        the values are tensors, numbers or strings).
    :param routes: conditioner role -> source (`ganforge.conditioning.routes` of the
        config when None).
    :param training: False while the trainer draws sample grids or evaluates, and in runs
        reopened for applications (`ganforge.trainer.restore`): strategies that learn from
        the batches they prepare (replay buffers, pseudo-label memories) learn only when True.
    :param kinds: role -> component kind of the configured networks (`roles` reads it).
    :param keep_trainable: ids of parameters `frozen` leaves trainable: layers a frozen
        network shares with the one a step trains (coupled discriminator reuse).
    """

    config: Any
    data: DataInfo
    models: nn.ModuleDict
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    ema: dict[str, nn.Module] = field(default_factory=dict)
    step: int = 0
    amp_dtype: torch.dtype | None = None
    hook: Any = None
    state: dict[str, Any] = field(default_factory=dict)
    training: bool = True
    kinds: dict[str, str] = field(default_factory=dict)
    routes: dict[str, str] | None = None
    keep_trainable: set[int] = field(default_factory=set)

    def condition(self, cond: Condition, image: torch.Tensor | None = None, reference: torch.Tensor | None = None,
                  sampling: bool = False, **overrides: torch.Tensor
                  ) -> tuple[Condition, dict[str, dict[str, torch.Tensor]]]:
        """The generator's condition through the one conditioning path
        (`ganforge.conditioning.condition`): ``cond`` + the conditioners' outputs on
        ``image`` / ``reference`` + ``overrides``; with ``sampling`` the conditioners' EMA
        copies run. Returns it with each conditioner's full output by role."""
        if self.routes is None:
            self.routes = conditioning.routes(self.config) if self.config is not None else {}
        models = {r: (self.generator_for_sampling(r) if sampling else self.models[r])
                  for r in self.routes if r in self.models}
        return conditioning.condition(models, self.routes, cond, image, reference, **overrides)

    def generate(self, cond: Condition, image: torch.Tensor | None = None, reference: torch.Tensor | None = None,
                 sampling: bool = False, generator: nn.Module | None = None, **overrides: torch.Tensor
                 ) -> torch.Tensor:
        """``generator`` (default: the generator, its EMA copy with ``sampling``) on
        `condition`'s result: how every recipe step, sample grid, evaluation and
        application turns a condition into an image."""
        full, _ = self.condition(cond, image, reference, sampling, **overrides)
        if generator is None:
            generator = self.generator_for_sampling() if sampling else self.models["generator"]
        return generator(full)

    def autocast(self) -> contextlib.AbstractContextManager:
        """The autocast context of the run's precision (a no-op in fp32)."""
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def generator_for_sampling(self, role: str = "generator") -> nn.Module:
        """The EMA copy of ``role`` when there is one, else the trained network."""
        return self.ema.get(role, self.models[role])

    def roles(self, kind: str | None = None) -> list[str]:
        """The roles of ``run.models`` (in order), only those built as ``kind`` when given:
        ``run.roles("discriminator")`` finds every discriminator whatever the recipe calls it."""
        return [r for r in self.models if kind is None or self.kinds.get(r) == kind]

    def wrap_input(self, role: str, fn: Callable[..., tuple]) -> RemovableHandle:
        """Change what ``run.models[role]`` receives, at every call: ``fn(*args)`` gets the
        positional arguments of the call (``image, cond`` for a discriminator or encoder,
        ``cond`` for a generator) and returns the new ones as a tuple of the same length;
        keyword arguments pass unchanged.

        The supported way for an extra strategy to augment or edit a network's inputs
        without touching the recipe (DiffAugment, ADA, consistency regularisation): it acts
        in every caller — both steps, the trainer's R1 penalty, other strategies. Install it
        in ``ganforge_setup``; the returned handle's ``remove()`` uninstalls it. Wrappers
        installed later act on what earlier ones return. Gradients flow through ``fn``.
        """
        if role not in self.models:
            raise KeyError(f"wrap_input: no network {role!r}; this run has {', '.join(self.models)}")

        def pre_hook(module: nn.Module, args: tuple) -> tuple:
            out = fn(*args)
            if not isinstance(out, tuple) or len(out) != len(args):
                raise TypeError(f"wrap_input({role!r}): {getattr(fn, '__qualname__', fn)} must return a tuple of "
                                f"{len(args)} positional arguments, got {type(out).__name__}")
            return out

        return self.models[role].register_forward_pre_hook(pre_hook)

    @contextlib.contextmanager
    def frozen(self, *roles: str) -> Iterator[None]:
        """Disable gradients of the given networks inside the block (generator steps
        must not accumulate gradients into the discriminator), except ``keep_trainable``."""
        with frozen_parameters(p for role in roles for p in self.models[role].parameters()
                               if id(p) not in self.keep_trainable):
            yield


@contextlib.contextmanager
def frozen_parameters(params: Iterable[nn.Parameter]) -> Iterator[None]:
    """No gradient for ``params`` inside the block; gradients still flow *through* their
    layers to the inputs (a cycle loss reaches the generator before a frozen encoder)."""
    saved = [(p, p.requires_grad) for p in params]
    for p, _ in saved:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in saved:
            p.requires_grad_(flag)

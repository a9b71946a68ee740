"""``train.compile``: each network's training calls through ``torch.compile``.

What is compiled, and why:

- each network separately (its own graphs, so a recipe may call it any number of times
  per step), with ``dynamic=False``: a batch-size change compiles one more static graph
  instead of a slower symbolic one;
- training calls only: sample grids and evaluation run the plain modules (`plain`), so
  eval mode and the sampling batch cost no compilations of their own;
- a call whose tensor input is a leaf that requires grad runs the plain module. Such an
  input is differentiated w.r.t. (gradient penalties: R1, WGAN-GP), usually with
  ``create_graph=True``, and AOTAutograd's compiled graphs support no double backward.

Compilation is lazy (the first step of each kind compiles), so a compiler failure shows
up there; `compile_failure` turns it into one line naming the backend and the remedy.
Inductor caches compiled kernels on disk (``TORCHINDUCTOR_CACHE_DIR``, default
``/tmp/torchinductor_$USER``): a second run of the same networks skips the C++ compiler.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from ganforge.errors import ConfigError


def backend_of(setting: bool | str) -> str | None:
    """``train.compile`` -> the torch.compile backend, or None when off (``true`` = inductor)."""
    if setting is False:
        return None
    return "inductor" if setting is True else setting


class Compiled(nn.Module):
    """A network whose training calls go through ``torch.compile``; attributes, parameters
    and state are the plain module's (``.module``), so recipes and checkpoints see no
    difference."""

    def __init__(self, module: nn.Module, backend: str):
        super().__init__()
        self.module = module
        self.backend = backend
        # not a registered submodule: it shares the module's parameters and would double its state_dict
        object.__setattr__(self, "_compiled", torch.compile(module, backend=backend, dynamic=False))

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if differentiated_input(args, kwargs):
            return self.module(*args, **kwargs)
        return self._compiled(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name == "module":
                raise
            return getattr(self.module, name)


def differentiated_input(args: tuple, kwargs: dict) -> bool:
    """A tensor argument (or a value of a mapping argument, e.g. a Condition) that is a
    leaf requiring grad: made with ``requires_grad_()`` to be differentiated w.r.t."""
    def leaf(v: Any) -> bool:
        return isinstance(v, torch.Tensor) and v.requires_grad and v.is_leaf
    values = [*args, *kwargs.values()]
    return any(leaf(v) or (isinstance(v, Mapping) and any(leaf(u) for u in v.values())) for v in values)


def compile_networks(networks: nn.ModuleDict, setting: bool | str) -> nn.ModuleDict:
    """``networks`` with each wrapped in `Compiled`, or unchanged when compilation is off."""
    backend = backend_of(setting)
    if backend is None:
        return networks
    return nn.ModuleDict({role: Compiled(m, backend) for role, m in networks.items()})


def plain(models: nn.ModuleDict) -> nn.ModuleDict:
    """The uncompiled modules of ``models``."""
    return nn.ModuleDict({r: m.module if isinstance(m, Compiled) else m for r, m in models.items()})


def compile_failure(exc: BaseException, setting: bool | str) -> ConfigError | None:
    """A one-line `ConfigError` for a torch.compile failure, or None when ``exc`` is not one."""
    from torch._dynamo.exc import BackendCompilerFailed, TorchDynamoException

    if not isinstance(exc, TorchDynamoException):
        return None
    inner = exc.inner_exception if isinstance(exc, BackendCompilerFailed) else exc
    lines = [ln.strip() for ln in str(inner).splitlines() if ln.strip()]
    what = f"{type(inner).__name__}: {lines[0]}" if lines else type(inner).__name__
    backend = backend_of(setting)
    hint = ("train.compile: aot_eager tells tracing problems from Inductor's code generation"
            if backend == "inductor" else "")
    return ConfigError(f"train.compile: torch.compile (backend {backend}) failed: {what[:300]}; train without it "
                       f"(train.compile: false){' or try ' + hint if hint else ''}")

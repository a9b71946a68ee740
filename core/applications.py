"""A run reopened for a paper's application commands: one type for every plugin.

Every paper's application commands (SEAN's style transfer, SMIS's class resampling,
StarGAN v2's reference-guided synthesis, NICE-GAN's translation, StyleGAN2's style mixing,
Image2StyleGAN++'s embeddings ...) start the same way: reopen a run folder or a checkpoint
(`ganforge.trainer.restore`), check that it has the networks the paper's operations drive
(an error naming what is missing and what the run has), take scenes (`ganforge.scenes`)
or image files at the networks' resolution (`AppRun.info`), and write PNG grids of named
rows. `open_app` does that once; a plugin's CLI keeps only its own operations::

    app = open_app(run, "sean", "SEAN's applications need a style encoder providing "
                   "'region_style' (models.encoder: sean_style)", encoder="region_style")
    image, cond = app.scenes([Scene(index=0)])
    click.echo(app.write({"real": image, "reconstruction": G(...)}, out, "reconstruct"))
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence, TypeVar

import torch
from torch import nn

from .condition import Condition
from .interfaces import DataInfo
from .errors import ConfigError, GanforgeError
from .scenes import Scene

if TYPE_CHECKING:  # the trainer is imported when a run is opened, not with this module
    from .trainer.restore import Restored

T = TypeVar("T")


@dataclass
class AppRun:
    """A run reopened for one paper's applications, in eval mode.

    ``generator`` and ``encoder`` are the networks the paper's operations drive (their EMA
    copies when the run kept them; None when the paper drives none by that role), and
    `network` gives any other by its role; ``restored`` is the whole run
    (`ganforge.trainer.Restored`: config, data, networks, strategies, dataset); ``paper``
    prefixes the default file names."""

    restored: Restored
    paper: str
    generator: nn.Module | None
    encoder: nn.Module | None = None

    @property
    def step(self) -> int:
        return self.restored.step

    @property
    def config(self) -> Any:
        return self.restored.config

    @property
    def info(self) -> DataInfo:
        """What the networks were built for (resolution, classes, domains): the size and
        range an application reads image files at and checks its arguments against."""
        return self.restored.info

    def network(self, role: str) -> nn.Module:
        """The network of ``role`` (its EMA copy when the run kept one), for papers that
        drive more than a generator and an encoder (StarGAN v2's mapping network and style
        encoder, NICE-GAN's two discriminators whose encoders the generators reuse)."""
        return self.restored.network(role)

    @property
    def networks(self) -> dict[str, nn.Module]:
        """Every network the checkpoint holds by role, EMA copies where kept (SEMIT scores
        any translator: its own run's networks or a StarGAN v2 run's)."""
        return {role: self.network(role) for role in self.restored.held}

    @property
    def dataset(self) -> Any:
        """The run's dataset, built from its config when first used."""
        return self.restored.dataset

    def scenes(self, scenes: Sequence[Scene]) -> tuple[torch.Tensor, Condition]:
        """Images and their condition for ``scenes`` (dataset indices or files), without the
        fields the encoder provides: the application computes those itself (SEAN's and SMIS's
        ``region_style``), so a dataset that also has them cannot stand in."""
        image, cond = self.restored.scenes(scenes)
        own = type(self.encoder).provides if self.encoder is not None else frozenset()
        return image, Condition({k: v for k, v in cond.items() if k not in own})

    def strategy(self, cls: type[T]) -> T:
        """The run's strategy of type ``cls`` (BachGAN's background retrieval)."""
        return next(s for s in self.restored.parts.strategies if isinstance(s, cls))

    def output(self, out: str | os.PathLike | None, command: str) -> Path:
        """``out``, or ``<run folder>/<paper>_<command>_step_N.png``."""
        return Path(out) if out else self.restored.output(f"{self.paper}_{command}")

    def write(self, rows: dict[str, torch.Tensor], out: str | os.PathLike | None, command: str) -> str:
        """Write a grid of named rows (`ganforge.report.save_rows`) to `output` and return
        the message a command prints."""
        from .report import save_rows, saved_message

        return saved_message(*save_rows(rows, self.output(out, command)))


def open_app(run_or_ckpt: str | os.PathLike, paper: str, needs: str, *,
             generator: type | tuple[type, ...] | None = nn.Module, encoder: str | type | None = None,
             roles: Sequence[str] = (), strategy: type | None = None, dataset: bool = False) -> AppRun:
    """Reopen a run folder (its latest checkpoint) or a checkpoint file for ``paper``'s
    applications. It must have a ``generator`` of that class or capability (e.g.
    `ganforge.capabilities.StyleLatentGenerator`; None: the paper drives no network of that
    role, as NICE-GAN, whose ``generator_ab`` and ``generator_ba`` are ``roles``); with
    ``encoder``, a network of kind encoder providing that condition field (a name) or of
    that class (the first one in the config's order); a network for each of ``roles``
    (`AppRun.network`); with ``strategy``, a strategy of that class (the paper's recipe, or
    one among the run's strategies). Anything missing is a ConfigError: ``needs`` (what the
    paper needs, in words), then what the run has. ``dataset``: build the dataset now and
    check the networks against it, as ``ganforge eval`` does; by default only when an
    application first uses it (`Restored`), so a checkpoint works on the user's files
    without its dataset on disk."""
    from .trainer.restore import read_checkpoint, restore_state

    ckpt, state = read_checkpoint(run_or_ckpt)
    if strategy is not None:
        _refuse_another_papers_run(ckpt, state["config"], strategy, needs)
    restored = restore_state(ckpt, state, dataset=dataset)
    models, kinds = restored.run.models, restored.parts.kinds
    encoders = [r for r, k in kinds.items() if encoder is not None and k == "encoder" and r in models and (
        encoder in type(models[r]).provides if isinstance(encoder, str) else isinstance(models[r], encoder))]
    has_generator = generator is None or isinstance(models["generator"] if "generator" in models else None, generator)
    if (not has_generator or (encoder is not None and not encoders) or any(r not in models for r in roles)
            or (strategy is not None and not any(isinstance(s, strategy) for s in restored.parts.strategies))):
        raise ConfigError(f"{restored.checkpoint} (config): {needs}; this run has {_inventory(restored.config)}")
    for role in roles:  # their weights must be in the checkpoint too, as the generator's (`Restored.network`)
        restored.network(role)
    return AppRun(restored, paper, restored.network("generator") if generator is not None else None,
                  restored.network(encoders[0]) if encoder is not None else None)


def _refuse_another_papers_run(ckpt: Path, config: Any, strategy: type, needs: str) -> None:
    """Refuse a run none of whose strategies (all registered) is a ``strategy`` before its
    config is checked and its networks built: another paper's run is told what this paper
    needs, not what its own config lacks (a config that does not parse is left to
    `restore_state` to report)."""
    from . import registry as _registry
    from .config import from_dict

    try:
        exp = from_dict(config, f"{ckpt} (config)") if isinstance(config, dict) else None
    except GanforgeError:
        return
    reg = _registry.get_registry()
    names = [s.type for s in (exp.strategy, *exp.strategies)] if exp is not None else []
    if names and all(n in reg.names("strategy") for n in names) and not any(
            issubclass(reg.get("strategy", n).cls, strategy) for n in names):
        raise ConfigError(f"{ckpt} (config): {needs}; this run has {_inventory(exp)}")


def _inventory(exp: Any) -> str:
    """``models.generator: spade, models.encoder: sean_style; strategies: paired_conditional``."""
    networks = ", ".join(f"models.{role}: {spec.type}" for role, spec in exp.models.items()) or "no networks"
    return f"{networks}; strategies: {', '.join(s.type for s in [exp.strategy, *exp.strategies])}"

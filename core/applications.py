"""A run reopened for a paper's application commands: one type for every plugin.

SEAN's style transfer, SMIS's class resampling, CoCosNet's exemplar translation, BachGAN's
boxes-to-scene synthesis and Attentive Normalization's samples all start the same way:
reopen a run folder or a checkpoint (`ganforge.trainer.restore`), check that it has the
networks the paper's operations drive (an error naming what is missing and what the run
has), take scenes (`ganforge.scenes`), and write PNG grids of named rows beside the run.
`open_app` does that once; a plugin's CLI keeps only its own operations::

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
from .errors import ConfigError
from .scenes import Scene

if TYPE_CHECKING:  # the trainer is imported when a run is opened, not with this module
    from .trainer.restore import Restored

T = TypeVar("T")


@dataclass
class AppRun:
    """A run reopened for one paper's applications, in eval mode.

    ``generator`` and ``encoder`` are the networks the paper's operations drive (their EMA
    copies when the run kept them; ``encoder`` is None when the paper drives none);
    ``restored`` is the whole run (`ganforge.trainer.Restored`: config, data, networks,
    strategies, dataset); ``paper`` prefixes the default file names."""

    restored: Restored
    paper: str
    generator: nn.Module
    encoder: nn.Module | None = None

    @property
    def step(self) -> int:
        return self.restored.step

    @property
    def config(self) -> Any:
        return self.restored.config

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
             generator: type | tuple[type, ...] = nn.Module, encoder: str | type | None = None,
             strategy: type | None = None, dataset: bool = False) -> AppRun:
    """Reopen a run folder (its latest checkpoint) or a checkpoint file for ``paper``'s
    applications. It must have a ``generator`` of that class; with ``encoder``, a network
    of kind encoder providing that condition field (a name) or of that class (the first one
    in the config's order); with ``strategy``, a strategy of that class. Anything missing
    is a ConfigError: ``needs`` (what the paper needs, in words), then what the run has.
    ``dataset``: build the dataset now and check the networks against it, as ``ganforge
    eval`` does; by default only when an application first uses it (`Restored`)."""
    from .trainer.restore import restore

    restored = restore(run_or_ckpt, dataset=dataset)
    models, kinds = restored.run.models, restored.parts.kinds
    encoders = [r for r, k in kinds.items() if encoder is not None and k == "encoder" and r in models and (
        encoder in type(models[r]).provides if isinstance(encoder, str) else isinstance(models[r], encoder))]
    if (not isinstance(models["generator"] if "generator" in models else None, generator)
            or (encoder is not None and not encoders)
            or (strategy is not None and not any(isinstance(s, strategy) for s in restored.parts.strategies))):
        raise ConfigError(f"{restored.checkpoint} (config): {needs}; this run has {_inventory(restored.config)}")
    return AppRun(restored, paper, restored.network("generator"),
                  restored.network(encoders[0]) if encoder is not None else None)


def _inventory(exp: Any) -> str:
    """``models.generator: spade, models.encoder: sean_style; strategies: paired_conditional``."""
    networks = ", ".join(f"models.{role}: {spec.type}" for role, spec in exp.models.items()) or "no networks"
    return f"{networks}; strategies: {', '.join(s.type for s in [exp.strategy, *exp.strategies])}"

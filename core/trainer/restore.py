"""Reopen a trained run from its checkpoint, for applications, sampling and evaluation.

Every paper's applications (SEAN's style transfer, SMIS's class resampling, StarGAN v2's
reference-guided synthesis ...) start the same way: find the checkpoint, rebuild the
networks the config describes, let the recipes rewire them (``ganforge_setup``, e.g.
NICE-GAN's reused encoders), load the weights and the EMA copies. `restore` does that
once, so a plugin's CLI only adds what is its own.
"""

from __future__ import annotations

import copy
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import torch
from torch import nn

from .. import registry as _registry
from ..config import Experiment, check_components, ensure_plugins, from_dict, missing_plugins_hint, naming, verify
from ..condition import Condition
from ..errors import DataError, GanforgeError, GanforgeWarning
from ..interfaces import DataInfo
from ..run import Run
from ..scenes import Scene, load_scenes
from ..weights import load_checked
from .assemble import Parts, assemble
from .checkpoint import latest_checkpoint
from .checkpoint import load as load_checkpoint


def read_checkpoint(run_or_ckpt: str | os.PathLike) -> tuple[Path, dict[str, Any]]:
    """(checkpoint path, its state) for a run folder (latest checkpoint) or a file, loaded
    safely (`ganforge.trainer.checkpoint.load`); its config is not read yet."""
    path = Path(run_or_ckpt)
    ckpt_path = latest_checkpoint(path) if path.is_dir() else path
    if ckpt_path is None:
        raise GanforgeError(f"{path}: no checkpoints in {path / 'checkpoints'}")
    return ckpt_path, load_checkpoint(ckpt_path)


def open_checkpoint(run_or_ckpt: str | os.PathLike) -> tuple[Path, dict[str, Any], Experiment]:
    """(checkpoint path, its state, its config) for a run folder (latest checkpoint) or a file."""
    ckpt_path, state = read_checkpoint(run_or_ckpt)
    return ckpt_path, state, checkpoint_config(state, ckpt_path)  # unknown components: the plugins it names


def output_folder(checkpoint: Path) -> Path:
    """The run folder of a checkpoint the trainer wrote (``RUN/checkpoints/step_N.pt``);
    for any other file (``ganforge import``'s ``model.pt``) the folder holding it."""
    checkpoint = Path(checkpoint)
    return checkpoint.parent.parent if checkpoint.parent.name == "checkpoints" else checkpoint.parent


def checkpoint_config(state: dict[str, Any], path: str | os.PathLike) -> Experiment:
    """The config stored in a checkpoint, read as untrusted data: validated and its
    components checked against the plugins loaded now. Its ``plugins`` list is never
    imported; when a component is missing, the error names the plugins to load
    (docs/security.md)."""
    source = f"{path} (config)"
    if not isinstance(state.get("config"), dict):
        raise GanforgeError(f"{path}: the checkpoint holds no config")
    exp = from_dict(state["config"], source)
    with naming(source):
        check_components(exp)
    missing = ensure_plugins(exp)  # imports nothing for an untrusted config
    if missing:
        warnings.warn(f"{source}: {missing_plugins_hint(missing)} (not needed here: every component "
                      "it names is registered)", GanforgeWarning, stacklevel=2)
    return exp


@dataclass
class Restored:
    """A run rebuilt from a checkpoint, in eval mode.

    ``run.models`` hold the trained weights, ``run.ema`` the EMA copies (use `network` to
    get the one applications should use); ``parts`` has the recipe's hooks (``parts.pm``)
    and the roles' kinds; ``dataset`` is the run's dataset, built from its config when
    first used; `scenes` gives an application its inputs (dataset indices or files)."""

    checkpoint: Path
    state: dict[str, Any]
    config: Experiment
    info: DataInfo
    run: Run
    parts: Parts
    built_dataset: Any = None

    @property
    def dataset(self) -> Any:
        if self.built_dataset is None:
            self.built_dataset = _registry.build("dataset", self.config.data, path="data")
        return self.built_dataset

    def scenes(self, scenes: Sequence[Scene]) -> tuple[torch.Tensor, Condition]:
        """Images (B, 3, H, W) and their Condition for ``scenes``: samples of the run's
        dataset by index, or image and label-map files (`ganforge.scenes`)."""
        return load_scenes(scenes, self.info, lambda: self.dataset)

    @property
    def step(self) -> int:
        return int(self.state["step"])

    @property
    def run_dir(self) -> Path:
        return output_folder(self.checkpoint)

    def output(self, name: str) -> Path:
        """Where an application writes by default: ``<run folder>/<name>_step_N.png``."""
        return self.run_dir / f"{name}_step_{self.step:08d}.png"

    def network(self, role: str) -> nn.Module:
        """The EMA copy of ``role`` when the run kept one, else the trained network.

        Its weights must be in the checkpoint, and so must its EMA copy when the trainer
        averaged it (``ganforge import`` keeps only the EMA copies a release has): a damaged
        file would otherwise give a network at its initialisation, or the raw weights where
        the run averaged them. Networks an application does not ask for may be absent (a
        checkpoint trimmed to its generator)."""
        if role not in self.run.models:
            raise GanforgeError(f"{self.checkpoint}: the run has no network {role!r}; it has "
                                f"{', '.join(self.run.models)}")
        ema = self.config.train.ema
        averaged = ema.enabled and role in ema.roles and "imported" not in self.state
        if role not in self.run.ema and (averaged or role not in self.state["models"]):
            missing = [f"models.{role}"] * (role not in self.state["models"]) + [f"ema.{role}"] * averaged
            have = [f"{k}.{r}" for k in ("models", "ema") for r in self.state[k]]
            raise DataError(f"{self.checkpoint}: holds no weights for {', '.join(missing)} (a damaged checkpoint? "
                            f"it has {', '.join(have) or 'none'})")
        return self.run.ema.get(role, self.run.models[role])

    @property
    def held(self) -> list[str]:
        """The roles whose weights (or EMA copies) the checkpoint holds, in the config's order."""
        return [r for r in self.run.models if r in self.state["models"] or r in self.run.ema]


def restore_networks(exp: Experiment, info: DataInfo, state: dict[str, Any],
                     source: str = "checkpoint") -> tuple[Run, Parts]:
    """The networks of ``exp`` built against ``info``, rewired by ``ganforge_setup`` as in
    training, with the weights and EMA copies of ``state`` (``source`` names it in errors);
    all in eval mode, ``run.training`` False."""
    parts = assemble(exp, info)
    run = Run(config=exp, data=info, models=parts.models, hook=parts.pm.hook, training=False, kinds=dict(parts.kinds))
    parts.pm.hook.ganforge_setup(run=run)
    _check_sections(state, source)
    for role, weights in state["models"].items():
        load_checked(_network(parts.models, role, source), weights, f"{source} models.{role}")
    for role, weights in state["ema"].items():
        run.ema[role] = copy.deepcopy(_network(parts.models, role, source))
        load_checked(run.ema[role], weights, f"{source} ema.{role}")
    for module in [*parts.models.values(), *run.ema.values()]:
        module.eval()
    return run, parts


def _check_sections(state: dict[str, Any], source: str) -> None:
    for key in ("models", "ema"):
        if not isinstance(state[key], dict):
            raise DataError(f"{source}: {key!r} holds a {type(state[key]).__name__}, not networks by role")


def _network(models: Any, role: str, source: str) -> nn.Module:
    if role not in models:
        raise GanforgeError(f"{source}: holds weights of a network {role!r} the config does not build "
                            f"(it builds {', '.join(models)})")
    return models[role]


def restore(run_or_ckpt: str | os.PathLike, dataset: bool = True) -> Restored:
    """Reopen a run folder (its latest checkpoint) or a checkpoint file with its dataset.
    ``dataset=False``: the networks are built from the config's description of the data
    and the dataset only when an application first uses it, so a checkpoint from
    ``ganforge import`` works on the user's own files without the dataset on disk."""
    return restore_state(*read_checkpoint(run_or_ckpt), dataset=dataset)


def restore_state(ckpt_path: Path, state: dict[str, Any], dataset: bool = True) -> Restored:
    """`restore` of a checkpoint already read (`read_checkpoint`)."""
    exp = checkpoint_config(state, ckpt_path)
    source = f"{ckpt_path} (config)"
    built = _registry.build("dataset", exp.data, path="data") if dataset else None
    info = verify(exp, built.info() if dataset else None, source=source)
    run, parts = restore_networks(exp, info, state, str(ckpt_path))
    return Restored(ckpt_path, state, exp, info, run, parts, built)

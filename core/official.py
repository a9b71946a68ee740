"""Officially released checkpoints -> a ganforge checkpoint, one mechanism for every paper.

``ganforge import NAME FILE... --config CONFIG --out model.pt`` reads each official file
without executing code (``torch.load(weights_only=True)``), builds the networks CONFIG
describes exactly as training does (``ganforge_setup`` included, so rewired networks such
as NICE-GAN's shared encoders have their training layout), lets the plugin's importer map
the official names onto them, checks every tensor's name and shape against the network
(an error lists the missing, unexpected and mis-shaped keys and names the file), and
writes a ganforge checkpoint (step 0) that ``ganforge sample``, ``ganforge eval``,
``ganforge train --init`` and the paper applications open like any trained run.

A plugin registers an importer with ``register.importer(name, function, summary)``;
``function(files, models)`` only maps keys (see `Imported`).
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import torch
from torch import nn

from .errors import ConfigError, DataError
from .weights import load_state_dict, read_file, rename_checked

# Plain containers some releases pickle beside their tensors (rosinality's training
# arguments); torch's weights-only unpickler rebuilds them without importing anything else.
SAFE_GLOBALS = (argparse.Namespace,)


# Spectral norm: (torch's parametrization, used here; the old hook, in every official release).
SPECTRAL_SUFFIXES = ((".parametrizations.weight.original", ".weight_orig"),
                     (".parametrizations.weight.0._u", ".weight_u"),
                     (".parametrizations.weight.0._v", ".weight_v"))


def hook_spectral_name(key: str) -> str:
    """``key`` with torch's spectral-norm parametrization suffix as the old hook names it."""
    for ours, theirs in SPECTRAL_SUFFIXES:
        if key.endswith(ours):
            return key[: -len(ours)] + theirs
    return key


@dataclass(frozen=True)
class Layout:
    """One paper's official key layout, both ways.

    ``renames``: network class -> ``rename(model, key)``, our state_dict key -> the official
    one (spectral-norm suffixes are then given the old hook's names); ``hint``: the config
    fields that usually explain a mismatch; ``unused``: ``model`` -> the tensors an official
    network holds but never reads (name -> the value it is created with), written by
    `to_official` and dropped by `from_official` so that only they are forgiven; ``skip``:
    the official keys of whole layers that the official forward never calls and that we do
    not build (BachGAN's abandoned FCN, CoCosNet's discriminator decoder), matched from the
    key's start: dropped by `from_official` whatever their shape, absent from `to_official`."""

    paper: str
    renames: Mapping[type, Callable[[Any, str], str]]
    hint: str
    unused: Callable[[nn.Module], dict[str, torch.Tensor]] = lambda model: {}
    skip: re.Pattern | None = None

    def skipped(self, state_dict: Mapping[str, torch.Tensor]) -> list[str]:
        """The keys of ``state_dict`` that `from_official` drops as ``skip`` layers."""
        return [k for k in state_dict if self.skip is not None and self.skip.match(k)]

    def official_names(self, model: nn.Module) -> dict[str, str]:
        """``model``'s state_dict key -> the official key of the same tensor (TypeError: the
        paper has no official layout for this network)."""
        rename = next((f for cls, f in self.renames.items() if isinstance(model, cls)), None)
        if rename is None:
            raise TypeError(f"no {self.paper} checkpoint layout for {type(model).__name__}")
        return {key: hook_spectral_name(rename(model, key)) for key in model.state_dict()}

    def to_official(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """``model``'s state_dict as the official code saves it (its unused tensors included)."""
        names = self.official_names(model)
        return {**{names[k]: v for k, v in model.state_dict().items()}, **self.unused(model)}

    def from_official(self, model: nn.Module, state_dict: Mapping[str, torch.Tensor],
                      source: str = "the checkpoint") -> dict[str, torch.Tensor]:
        """An official state_dict renamed for ``model``; a key or shape that does not fit is
        a ConfigError naming ``source``, the keys and the shapes."""
        names = self.official_names(model)
        state_dict = {k.removeprefix("module."): v for k, v in state_dict.items()}  # DataParallel's prefix
        dropped = set(self.unused(model)) | set(self.skipped(state_dict))
        kept = {k: v for k, v in state_dict.items() if k not in dropped}
        return rename_checked(model, kept, names, source, self.hint)

    def load_official(self, model: nn.Module, path: str | os.PathLike, download: str) -> nn.Module:
        """Load one released file into ``model`` (in place) and return it; ``download`` tells
        where the files come from (said when the file is missing or unreadable)."""
        state = load_state_dict(path, f"a {self.paper} checkpoint", download)
        model.load_state_dict(self.from_official(model, state, source=str(path)))
        return model

    def import_files(self, files: Sequence[OfficialFile], models: Mapping[str, nn.Module]) -> Imported:
        """The ``ganforge import`` importer of a paper that releases one state_dict file per
        network: each file into the network of its layout (`by_layout`)."""
        return by_layout(files, models, self.official_names, self.from_official)


@dataclass(frozen=True)
class OfficialFile:
    """One official file as read: its path and the object ``torch.load`` returned."""

    path: Path
    state: Any

    def entry(self, key: str) -> dict[str, torch.Tensor]:
        """``state[key]`` as a state_dict, an error naming the file and its entries when absent."""
        if not isinstance(self.state, dict) or key not in self.state:
            raise DataError(f"{self.path}: no entry {key!r}; the file has {entries(self.state)}")
        return state_dict(self.state[key], f"{self.path} [{key!r}]")


@dataclass
class Imported:
    """What an importer returns: role -> state_dict under ganforge's names, for the trained
    networks (``models``) and their EMA copies (``ema``, e.g. StarGAN v2's ``nets_ema``);
    ``sources`` names the file each role came from (for error messages)."""

    models: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)
    ema: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)


def entries(state: Any) -> str:
    if not isinstance(state, dict):
        return f"a {type(state).__name__}, not a dict"
    keys = sorted(map(str, state))
    return "entries " + ", ".join(keys[:8]) + (" ..." if len(keys) > 8 else "")


def state_dict(obj: Any, where: str) -> dict[str, torch.Tensor]:
    """``obj`` as a name -> tensor dict (DataParallel's ``module.`` prefix removed)."""
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise DataError(f"{where}: not a state_dict of tensors ({entries(obj)})")
    return {str(k).removeprefix("module."): v for k, v in obj.items()}


def read_official(path: str | os.PathLike) -> Any:
    """The object in an official file, read by the core's checked loader (`read_file`:
    ``weights_only=True``, no code runs, no module is imported); a missing, empty,
    unreadable or foreign file is a DataError naming it."""
    return read_file(path, "an official weights file", "official checkpoints hold tensors in dicts, and nothing "
                     "that needs code to load", safe_globals=SAFE_GLOBALS)


def check_state(module: nn.Module, given: Mapping[str, torch.Tensor], source: str, role: str) -> None:
    """Every key and shape of ``given`` must be ``module``'s: an error lists what is
    missing, unexpected and mis-shaped (a few of each) and names ``source``."""
    own = module.state_dict()
    missing = sorted(set(own) - set(given))
    unexpected = sorted(set(given) - set(own))
    wrong = [f"{k}: {tuple(given[k].shape)} in the file, {tuple(own[k].shape)} in models.{role}"
             for k in own if k in given and tuple(given[k].shape) != tuple(own[k].shape)]
    if not (missing or unexpected or wrong):
        return

    def few(keys: list[str]) -> str:
        return ", ".join(keys[:6]) + (f" ... ({len(keys)} in all)" if len(keys) > 6 else "")

    lines = ([f"missing: {few(missing)}"] if missing else []) + (
        [f"unexpected: {few(unexpected)}"] if unexpected else []) + wrong[:6]
    raise ConfigError(f"{source} does not fit models.{role} ({type(module).__name__}):\n  " + "\n  ".join(lines)
                      + "\n  is the config the one the file was trained with?")


def import_checkpoint(name: str, files: Sequence[str | os.PathLike], config: str | os.PathLike,
                      out: str | os.PathLike, overrides: Sequence[str] = ()) -> tuple[Path, Imported]:
    """Run importer ``name`` on ``files`` for the networks ``config`` builds and write a
    ganforge checkpoint to ``out``; returns its path and what was imported."""
    from . import registry as _registry
    from .config import load_config, verify
    from .run import Run
    from .trainer import checkpoint as ckpt
    from .trainer.assemble import assemble

    importer = _registry.get_registry().importer(name)
    if not files:
        raise ConfigError(f"ganforge import {name}: give at least one official file")
    exp = load_config(config, overrides, check=False)
    info = verify(exp, source=str(config))
    parts = assemble(exp, info)
    run = Run(config=exp, data=info, models=parts.models, hook=parts.pm.hook, training=False, kinds=dict(parts.kinds))
    parts.pm.hook.ganforge_setup(run=run)
    read = [OfficialFile(Path(f), read_official(f)) for f in files]
    imported = importer.function(read, dict(parts.models))
    if not isinstance(imported, Imported):
        raise ConfigError(f"importer {name!r} (plugin {importer.plugin!r}) returned {type(imported).__name__}, "
                          "not ganforge.official.Imported")
    if not imported.models and not imported.ema:
        raise DataError(f"{', '.join(map(str, files))}: nothing in these files fits the networks of {config} "
                        f"(importer {name!r})")
    for kind, states in (("models", imported.models), ("ema", imported.ema)):
        for role, sd in states.items():
            if role not in parts.models:
                raise ConfigError(f"{imported.sources.get(role, files[0])}: holds {role!r}, but {config} builds "
                                  f"no models.{role} (it has {', '.join(parts.models)})")
            check_state(parts.models[role], sd, imported.sources.get(role, str(files[0])), role)
    models = {role: {k: v.detach().clone() for k, v in m.state_dict().items()} for role, m in parts.models.items()}
    for role, sd in imported.models.items():
        models[role] = dict(sd)
    for role, sd in imported.ema.items():
        models.setdefault(role, dict(sd))
        if role not in imported.models:
            models[role] = dict(sd)
    provenance = {"importer": name, "plugin": importer.plugin,
                  "files": [str(Path(f).resolve()) for f in files],
                  "roles": sorted(set(imported.models) | set(imported.ema))}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    ckpt.save(out, {"config": exp.model_dump(mode="json"), "step": 0, "models": models, "ema": imported.ema,
                    "imported": provenance})
    return out, imported


def by_layout(files: Sequence[OfficialFile], models: Mapping[str, nn.Module], official_names, from_official
              ) -> Imported:
    """The importer of papers that release one state_dict file per network (SPADE and its
    descendants): each file goes to the network whose official key set it shares most
    keys with. ``official_names(module)`` gives a module's key -> official key (TypeError:
    no official layout for that module); ``from_official(module, state, source)`` renames
    and checks one file."""
    layouts = {}
    for role, module in models.items():
        try:
            layouts[role] = set(official_names(module).values())
        except TypeError:
            continue
    imported = Imported()
    for f in files:
        sd = state_dict(f.state, str(f.path))
        shared = {role: len(keys & set(sd)) for role, keys in layouts.items() if role not in imported.models}
        role = max(shared, key=shared.get, default=None)
        if role is None or shared[role] == 0:
            free = ", ".join(r for r in layouts if r not in imported.models) or "none left"
            raise DataError(f"{f.path}: none of its keys ({', '.join(list(sd)[:4])} ...) is in the official "
                            f"layout of the networks this config builds ({free})")
        imported.models[role] = from_official(models[role], sd, str(f.path))
        imported.sources[role] = str(f.path)
    return imported

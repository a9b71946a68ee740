"""Train-mode parity with an official trainer, checked without the official code.

``benchmarks/train_parity.py`` runs a paper's official trainer and ganforge's recipe from
the same seeded weights (written in the official checkpoint layout, brought in with
``ganforge import``) on the same batch, and writes what the official trainer computed —
its losses per step and a checksum of its weights after each step — as a small JSON
fixture. A plugin's test rebuilds the same weights and batch here, from the fixture
alone, trains with the real trainer and compares (`train_from_official`).

The weights are a function of the official key list and a seed only (`seeded_state`), so
the fixture stores that list and no tensor. Runs in float64 on both sides (`in_float64`)
tell rounding from real differences: Adam's normalised first step turns rounding-level
gradients into full ``±lr`` steps, so fp32 trajectories drift apart after one step
wherever a gradient is zero up to rounding (a bias before a normalisation).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import torch

Layout = Mapping[str, Mapping[str, Sequence[int]]]  # file entry -> official key -> shape, in official order


def seeded_tensor(key: str, shape: Sequence[int], gen: torch.Generator) -> torch.Tensor:
    """One seeded tensor, drawn from ``gen`` whatever its kind (so every key advances the
    stream alike), scaled by what the name says it is: spectral-norm vectors
    (``weight_u``/``weight_v``) unit length; a norm's ``gamma`` or ``running_var`` around 1;
    other tensors of 2+ dimensions N(0, 1/fan_in); the rest (biases, means, gains) N(0, 0.1^2)."""
    x = torch.randn(tuple(shape), generator=gen)
    leaf = key.rsplit(".", 1)[-1]
    if leaf in ("weight_u", "weight_v"):
        return x / x.norm().clamp_min(1e-12)
    if leaf in ("gamma", "running_var"):
        return 1 + 0.1 * x.abs() if leaf == "running_var" else 1 + 0.1 * x
    if x.dim() >= 2 and leaf != "rho":
        return x / math.sqrt(max(1, math.prod(x.shape[1:])))
    return x if leaf == "rho" else 0.1 * x


def seeded_state(layout: Layout, seed: int) -> dict[str, dict[str, torch.Tensor]]:
    """Entry -> official state_dict, every tensor from one generator seeded with ``seed``,
    in the layout's order (entries, then keys, as listed). Integer entries
    (``num_batches_tracked``) are zeros and draw nothing."""
    gen = torch.Generator().manual_seed(seed)
    out: dict[str, dict[str, torch.Tensor]] = {}
    for entry, keys in layout.items():
        out[entry] = {}
        for key, shape in keys.items():
            if key.endswith("num_batches_tracked"):
                out[entry][key] = torch.zeros((), dtype=torch.long)
            else:
                out[entry][key] = seeded_tensor(key, shape, gen)
    return out


def seeded_batch(spec: Mapping[str, Mapping[str, Any]], seed: int) -> dict[str, torch.Tensor]:
    """Name -> tensor, drawn in the spec's order from one generator seeded with ``seed``:
    ``{"shape": [...], "kind": "image"}`` is uniform in [-1, 1); ``"kind": "labels"`` with
    ``"classes": n`` is uniform ids in [0, n)."""
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for name, s in spec.items():
        shape = tuple(s["shape"])
        if s["kind"] == "labels":
            out[name] = torch.randint(0, s["classes"], shape, generator=gen)
        else:
            out[name] = torch.rand(shape, generator=gen) * 2 - 1
    return out


def layout_of(state: Mapping[str, Mapping[str, torch.Tensor]]) -> dict[str, dict[str, list[int]]]:
    """The layout (entry -> key -> shape) of official state_dicts, in their order."""
    return {entry: {k: list(v.shape) for k, v in sd.items()} for entry, sd in state.items()}


def checksum(after: Mapping[str, torch.Tensor], before: Mapping[str, torch.Tensor], seed: int) -> dict[str, float]:
    """What training changed in one network's official state_dict: the sum of |change| and
    its projection on fixed random directions (one N(0, 1) tensor per key, drawn in the
    state_dict's key order from ``seed``), floating entries only. Equal updates give equal
    numbers up to rounding; a wrong sign, scale or tensor shows in the projection."""
    gen = torch.Generator().manual_seed(seed)
    total, projection = 0.0, 0.0
    for key, value in before.items():
        if not value.is_floating_point():
            continue
        delta = after[key].detach().double().cpu() - value.double()
        direction = torch.randn(tuple(value.shape), generator=gen).double()
        total += float(delta.abs().sum())
        projection += float((delta * direction).sum())
    return {"sum_abs_change": total, "projection": projection}


def in_float64(trainer: Any) -> None:
    """A ``prepare`` for `train_from_official`: the trainer's networks and its recipes'
    loss networks in float64 (the optimisers hold the same parameters, their state still
    empty), so that a comparison with an official run in float64 is free of fp32 rounding."""
    trainer.networks.double()
    for strategy in trainer.strategies:
        strategy.double()


def relative_difference(a: float, b: float) -> float:
    """|a - b| relative to the larger magnitude (0 when both are 0)."""
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0 else abs(a - b) / scale


def train_from_official(config: Mapping[str, Any], importer: str, files: Mapping[str, Mapping[str, Any]],
                        batch: Mapping[str, torch.Tensor], steps: int, workdir: str | os.PathLike,
                        to_official: Callable[[str, torch.nn.Module], dict[str, torch.Tensor]],
                        imports: Sequence[str] | None = None, prepare: Callable[[Any], None] | None = None
                        ) -> tuple[list[dict[str, float]], list[dict[str, dict[str, torch.Tensor]]]]:
    """Train ``config`` for ``steps`` steps on ``batch`` (a dataset dict, the same every
    step) from official files: ``files`` maps a file name to what it holds (saved with
    ``torch.save`` under ``workdir``); those named in ``imports`` (default: all; others are
    for the config to read, e.g. a loss network) go through ``ganforge import IMPORTER``, then
    loaded as ``ganforge train --init`` loads it. Returns each step's logs and, after
    each step, every role's state_dict in the official layout (``to_official(role, net)``).
    ``prepare(trainer)`` runs before the first step (a diagnosis may change precision)."""
    from ..config import from_dict
    from ..trainer.loop import Trainer
    from .official import run_import

    import yaml

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        torch.save(dict(content), workdir / name)
    paths = [workdir / name for name in (files if imports is None else imports)]
    cfg_path = workdir / "config.yaml"
    cfg_path.write_text(yaml.safe_dump(dict(config)))
    if run_import(importer, paths, cfg_path, workdir / "imported.pt") != 0:
        raise RuntimeError(f"ganforge import {importer} failed on {[p.name for p in paths]}")
    exp = from_dict(dict(config), source="parity config", trusted=True)
    trainer = Trainer(exp, workdir / "run", show_progress=False, source="parity config",
                      init=workdir / "imported.pt")
    logs, states = [], []
    try:
        if prepare is not None:
            prepare(trainer)
        for _ in range(steps):
            logs.append(trainer.train_step({k: v.clone() for k, v in batch.items()}))
            states.append({role: {k: v.detach().clone() for k, v in to_official(role, net).items()}
                           for role, net in trainer.networks.items()})
    finally:
        trainer.progress.close()
        if trainer.lock is not None:
            trainer.lock.close()
    return logs, states


def mismatches(official: Mapping[str, Any], logs: Sequence[Mapping[str, float]],
               states: Sequence[Mapping[str, Mapping[str, torch.Tensor]]],
               initial: Mapping[str, Mapping[str, torch.Tensor]], roles: Mapping[str, str], seed: int, steps: int,
               rel: float) -> list[str]:
    """Where ganforge's first ``steps`` steps differ from one official run of a fixture
    (``{"losses": [...], "checksums": [...]}``) by more than ``rel``: every loss the fixture
    lists, relative to its value; each network's weight-change checksum (``roles`` maps the
    fixture's entries to ganforge's roles), relative to the summed change. Empty when all match."""
    out = []
    for step in range(steps):
        for key, want in official["losses"][step].items():
            if relative_difference(want, logs[step][key]) > rel:
                out.append(f"step {step + 1} {key}: official {want:.8e}, ganforge {logs[step][key]:.8e}")
        for entry, role in roles.items():
            want = official["checksums"][step][entry]
            got = checksum(states[step][role], initial[entry], seed)
            scale = want["sum_abs_change"]
            if (abs(got["sum_abs_change"] - scale) > rel * scale
                    or abs(got["projection"] - want["projection"]) > rel * scale):
                out.append(f"step {step + 1} {entry}: weight change {got}, official {want}")
    return out

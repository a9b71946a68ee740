"""Atomic checkpoints that load with ``torch.load(weights_only=True)``.

A checkpoint holds only tensors and plain containers: network and EMA weights,
optimiser and scaler states, every rank's RNG states (torch, CUDA, numpy, python — as
tensors), the data position, the step, the run's strategy state and the resolved
config. It is written to a temporary file in the same folder, flushed, fsynced and
renamed over the final name, so a crash leaves either the old or the new file, never a
torn one.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganforge.errors import GanforgeError
from ganforge.files import atomic_write
from ganforge.finite import nonfinite, summary
from ganforge.weights import read_file, require_keys

FORMAT = "ganforge-checkpoint-1"
NAME = re.compile(r"^step_(\d{8})\.pt$")


def checkpoint_name(step: int) -> str:
    return f"step_{step:08d}.pt"


def list_checkpoints(folder: str | os.PathLike) -> list[Path]:
    """Checkpoints in ``folder``, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := NAME.match(p.name))]
    return [p for _, p in sorted(found)]


def latest_checkpoint(run_dir: str | os.PathLike) -> Path | None:
    found = list_checkpoints(Path(run_dir) / "checkpoints")
    return found[-1] if found else None


def prune(folder: str | os.PathLike, keep_last: int) -> list[Path]:
    """Delete all but the newest ``keep_last`` checkpoints, and temporary files a killed
    writer left behind (only rank 0 writes, so none is in progress); returns what went."""
    old = list_checkpoints(folder)[:-keep_last]
    old += [p for p in Path(folder).glob(".step_*.pt.*.tmp")]
    for p in old:
        p.unlink(missing_ok=True)
    return old


def save(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` atomically; a failed write (a full disk) is one error naming the
    file, and the checkpoints already there stay as they were."""
    try:
        atomic_write(path, lambda f: torch.save({"format": FORMAT, **state}, f))
    except (OSError, RuntimeError) as exc:  # torch.save reports a full disk as a RuntimeError
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0][:200]
        kept = [p.name for p in list_checkpoints(path.parent)]
        raise GanforgeError(f"{path}: cannot write the checkpoint ({reason}); nothing was replaced"
                            + (f", the latest checkpoint is still {kept[-1]}" if kept else "")
                            + "; free space and continue with --resume") from None


class NonFiniteCheckpoint(GanforgeError, FloatingPointError):
    """A checkpoint holds NaN or Inf (a diverged run, or a file ganforge did not write)."""


# What sampling and evaluation read; resuming needs every key a checkpoint holds.
FOR_NETWORKS = ("step", "config", "models", "ema")
FOR_RESUME = (*FOR_NETWORKS, "world_size", "strategies", "optimizers", "scalers", "data", "rng", "run_state")


def load(path: str | os.PathLike, map_location: str | torch.device = "cpu",
         require: tuple[str, ...] = FOR_NETWORKS) -> dict[str, Any]:
    """Load a checkpoint safely (no pickled code, nothing non-finite) and check it has the
    keys ``require``; every problem is one error naming the file.

    The trainer never writes NaN or Inf, so a checkpoint holding them is refused: sampling,
    evaluating or resuming from it would silently use a diverged run."""
    path = Path(path)
    state = read_file(path, "a ganforge checkpoint (checkpoints/step_XXXXXXXX.pt)", map_location=map_location)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        found = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise GanforgeError(f"{path}: not a ganforge checkpoint (format {found!r}, expected {FORMAT!r})")
    require_keys(state, require, str(path), "a complete ganforge checkpoint")
    bad = nonfinite({k: v for k, v in state.items() if k != "rng"})
    if bad:
        verb = "holds" if len(bad) == 1 else "hold"
        raise NonFiniteCheckpoint(f"{path}: {summary(bad)} {verb} NaN or Inf: the run had diverged when this was "
                                  "written; use an earlier checkpoint (move this one out of the checkpoints folder "
                                  "to resume from the one before)")
    return state


# -- RNG states as tensors ------------------------------------------------------------

def rng_state() -> dict[str, Any]:
    """This process's RNG states, each as tensors and numbers."""
    np_state = np.random.get_state()
    py_version, py_internal, py_gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": [s for s in torch.cuda.get_rng_state_all()] if torch.cuda.is_available() else [],
        "numpy": {"keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "gauss": float(np_state[4])},
        "python": {"version": int(py_version), "internal": torch.tensor(py_internal, dtype=torch.int64),
                   "gauss": py_gauss},
    }


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"].cpu())
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
    n = state["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    p = state["python"]
    random.setstate((p["version"], tuple(int(v) for v in p["internal"].tolist()), p["gauss"]))

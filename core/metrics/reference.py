"""Reference statistics on disk: pytorch-fid's ``.npz`` format and ganforge's cache.

Statistics of a real dataset are computed once per everything that changes them —
dataset, resolution, resize convention, network weights, sample count — and stored under
a name that is a hash of those fields, with the covariance's factor, so a later
evaluation loads them and skips both feature extraction and factorisation.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from ganforge.errors import DataError
from ganforge.files import atomic_write

from .frechet import GaussianStatistics


def default_cache_dir() -> Path:
    """``$GANFORGE_CACHE/statistics``, else ``~/.cache/ganforge/statistics``."""
    root = os.environ.get("GANFORGE_CACHE") or Path.home() / ".cache" / "ganforge"
    return Path(root) / "statistics"


def statistics_key(fields: dict[str, Any]) -> str:
    """A stable hash of the fields (JSON with sorted keys), 16 hex digits."""
    text = json.dumps(fields, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def save_statistics(path: str | os.PathLike, stats: GaussianStatistics, fields: dict[str, Any] | None = None) -> None:
    """Write ``mu``, ``sigma`` (pytorch-fid's keys), ``n``, the covariance factor and the
    key fields atomically: a temporary file in the same folder, fsync, then rename."""
    arrays = {"mu": stats.mu.numpy(), "sigma": stats.sigma.numpy(), "n": np.int64(stats.n),
              "factor": stats.factor.numpy(), "fields": np.array(json.dumps(fields or {}, sort_keys=True))}
    atomic_write(path, lambda f: np.savez(f, **arrays))


def load_statistics(path: str | os.PathLike) -> GaussianStatistics:
    """Statistics from an ``.npz`` with ``mu`` and ``sigma`` (a stored ``factor`` is reused)."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = {"mu", "sigma"} - set(f.files)
            if missing:
                raise DataError(f"reference statistics {str(path)!r} lack {sorted(missing)}; found {f.files}")
            stats = GaussianStatistics(f["mu"], f["sigma"], n=int(f["n"]) if "n" in f.files else 0)
            if "factor" in f.files:
                stats._factor = torch.from_numpy(f["factor"]).to(torch.float64)
    except DataError:
        raise
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read reference statistics {str(path)!r}: {exc}") from exc
    return stats


class StatisticsCache:
    """``get(fields, compute)``: the statistics stored for ``fields``, computed and stored
    on a miss. ``fields`` must hold everything that affects them, e.g. ``{"dataset": ...,
    "resolution": 256, "features": extractor.key, "n": 50000}``."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_cache_dir()

    def path(self, fields: dict[str, Any]) -> Path:
        return self.root / f"stats-{statistics_key(fields)}.npz"

    def get(self, fields: dict[str, Any], compute: Callable[[], GaussianStatistics]) -> GaussianStatistics:
        path = self.path(fields)
        if path.is_file():
            return load_statistics(path)
        stats = compute()
        save_statistics(path, stats, fields)
        return stats

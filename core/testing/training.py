"""Train a config for a handful of steps inside a test and read its per-step logs.

Mixing tests ("SEAN's normalizer inside the SMIS generator trains") and plugin tests
("the synthetic config learns") need the real trainer — the same assembly, hooks and
optimiser phases as ``ganforge train`` — without its files being the point. ``short_run``
runs it quietly in a temporary folder and returns what each step logged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..config import apply_overrides, from_dict, load_config


def short_run(config: Mapping[str, Any] | str | os.PathLike, run_dir: str | os.PathLike, steps: int,
              overrides: Iterable[str] = ()) -> list[dict[str, float]]:
    """Train ``config`` (a mapping or a YAML path) for ``steps`` steps into ``run_dir``;
    ``overrides`` are ``--set`` style (``"train.batch_size=2"``). Only training steps
    run: no samples, checkpoints, evaluation or report."""
    from ..trainer.loop import Trainer  # the trainer imports torch-heavy modules; keep `ganforge.testing` light

    overrides = [f"train.steps={steps}", *overrides]
    if isinstance(config, Mapping):
        source = "short_run config"
        exp = from_dict(apply_overrides(dict(config), overrides), source=source, trusted=True)  # the test's own
    else:
        source = str(config)
        exp = load_config(config, overrides)
    trainer = Trainer(exp, Path(run_dir), show_progress=False, source=source)
    logs: list[dict[str, float]] = []
    try:
        for raw in trainer.batches:
            if trainer.run.step >= steps:
                break
            logs.append(trainer.train_step(raw))
    finally:
        trainer.progress.close()
    return logs


def window_means(logs: list[dict[str, float]], key: str, window: int) -> tuple[float, float]:
    """Mean of ``key`` over the first and over the last ``window`` steps: a noisy GAN
    loss is compared by windows, never by single steps."""
    values = [step[key] for step in logs if key in step]
    if len(values) < 2 * window:
        raise ValueError(f"'{key}' logged in {len(values)} steps; need at least {2 * window} for two windows "
                         f"(logged keys: {sorted(logs[-1]) if logs else []})")
    return sum(values[:window]) / window, sum(values[-window:]) / window

"""Metrics over a fixed set of batches: the trainer's periodic evaluation and
``ganforge eval`` run this same function, so their numbers agree."""

from __future__ import annotations

from typing import Any, Iterable

from ganforge.interfaces import DataInfo, Metric
from ganforge.run import Run

from .data import to_run_batch
from .progress import evaluation_bar


def metric_values(run: Run, metrics: list[Metric], loader: Iterable[dict[str, Any]],
                  data_info: DataInfo, batches: int, channels_last: bool = False,
                  progress: bool = False) -> dict[str, float]:
    """Reset ``metrics``, feed them the (EMA) generator's images for the first ``batches``
    batches of ``loader`` (after the strategies' ``ganforge_prepare_batch``), and return
    every metric's values. The images come from `Run.generate`, the conditioning path
    every recipe step uses. Call it under ``torch.no_grad()`` with the RNG seeded.
    ``progress``: a bar over the batches (see `evaluation_bar`)."""
    for m in metrics:
        m.reset()
    total = min(batches, len(loader)) if hasattr(loader, "__len__") else batches
    with evaluation_bar(total, progress) as bar:
        for i, raw in enumerate(loader):
            if i >= batches:
                break
            batch = to_run_batch(raw, data_info, run.device, channels_last)
            run.hook.ganforge_prepare_batch(run=run, batch=batch)
            with run.autocast():
                fake = run.generate(batch["cond"], batch["image"], sampling=True)
            for m in metrics:
                m.update(fake.float(), real=batch["image"], cond=batch["cond"])
            bar.update(1)
    out: dict[str, float] = {}
    for m in metrics:
        out.update({k: float(v) for k, v in m.compute().items()})
    return out


__all__ = ["metric_values"]

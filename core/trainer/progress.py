"""What the user sees while training: a progress bar with it/s and the current losses,
metrics.jsonl (one JSON object per logged step), TensorBoard when it is installed."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Mapping

from tqdm.auto import tqdm

from ganforge.files import atomic_write_bytes


def _tensorboard_writer(folder: Path):
    """A SummaryWriter, or None when tensorboard is not installed (it is optional)."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(log_dir=str(folder))


class Progress:
    """Rank 0's logs. ``enabled=False`` (other ranks) makes every call a no-op."""

    def __init__(self, run_dir: Path, total: int, start: int, enabled: bool, show_bar: bool = True):
        self.enabled = enabled
        self.metrics_path = run_dir / "metrics.jsonl"
        self.bar = tqdm(total=total, initial=start, disable=not (enabled and show_bar), unit="step",
                        dynamic_ncols=True, smoothing=0.1)
        self.tb = _tensorboard_writer(run_dir / "tensorboard") if enabled else None
        self._file = open(self.metrics_path, "a", encoding="utf-8") if enabled else None
        self._t0 = time.perf_counter()

    def step(self) -> None:
        self.bar.update(1)

    def log(self, step: int, values: Mapping[str, float], kind: str = "train") -> None:
        """Append one line to metrics.jsonl, mirror to TensorBoard, show on the bar."""
        if not self.enabled:
            return
        record = {"kind": kind, "step": step, "time": round(time.perf_counter() - self._t0, 3), **values}
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        if self.tb is not None:
            for k, v in values.items():
                self.tb.add_scalar(f"{kind}/{k}", v, step)
        if kind == "train":
            self.bar.set_postfix({k: f"{v:.3g}" for k, v in values.items()}, refresh=False)

    def message(self, text: str) -> None:
        if self.enabled:
            self.bar.write(text)

    def close(self) -> None:
        self.bar.close()
        if self._file is not None:
            self._file.close()
        if self.tb is not None:
            self.tb.close()


def evaluation_bar(total: int, enabled: bool) -> tqdm:
    """The bar over an evaluation's batches (generation and feature extraction, the slow
    part of evaluating), on stderr. Off when ``enabled`` is False (``--no-progress``,
    other ranks) and when stderr is not a terminal (``disable=None``: logs and CI stay
    clean); it disappears when done (``leave=False``), so the training bar stays alone."""
    return tqdm(total=total, disable=None if enabled else True, leave=False, desc="evaluating", unit="batch",
                dynamic_ncols=True)


def truncate_metrics(path: Path, step: int) -> None:
    """Drop lines logged after ``step`` (by a run killed after its last checkpoint), so a
    resumed run's metrics.jsonl reads as one uninterrupted run."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            if json.loads(line).get("step", 0) <= step:
                kept.append(line)
        except json.JSONDecodeError:  # a line torn by the kill
            continue
    atomic_write_bytes(path, "".join(line + "\n" for line in kept).encode("utf-8"))

"""What the user sees while training.

On a terminal: a progress bar with it/s and the current losses. Elsewhere (a file, CI, a
pipe): no bar frames, a plain line at every logged step instead. Either way the same lines
go to ``train.log`` in the run folder, every logged step is a JSON line in metrics.jsonl,
and TensorBoard event files (run_dir/tensorboard) hold the scalars under the report's
groups (``losses/g_loss``, ``D outputs/d_real``, ``metrics/fid``).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
import warnings
from pathlib import Path
from typing import IO, Iterator, Mapping

from tqdm.auto import tqdm

from ganforge.errors import GanforgeWarning
from ganforge.files import atomic_write_bytes
from ganforge.report.groups import tag


def _tensorboard_writer(folder: Path):
    """A SummaryWriter (tensorboard is a dependency; a broken install costs the curves, not the run)."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as exc:
        print(f"warning: no TensorBoard logs: {exc}", file=sys.stderr)
        return None
    return SummaryWriter(log_dir=str(folder))


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}"


def _number(v: float) -> str:
    return f"{v:.4g}"


class Progress:
    """Rank 0's logs. ``enabled=False`` (other ranks) makes every call a no-op;
    ``show_bar=False`` (``--no-progress``) keeps the console quiet but still writes train.log."""

    def __init__(self, run_dir: Path, total: int, start: int, enabled: bool, show_bar: bool = True,
                 stream: IO[str] | None = None):
        self.enabled, self.total = enabled, total
        self.stream = stream or sys.stderr
        on_terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.console = enabled and show_bar  # lines on the console when there is no bar
        self.bar = tqdm(total=total, initial=start, disable=not (self.console and on_terminal), unit="step",
                        dynamic_ncols=True, smoothing=0.1, file=self.stream)
        self.metrics_path = run_dir / "metrics.jsonl"
        self.tb = _tensorboard_writer(run_dir / "tensorboard") if enabled else None
        self._file = open(self.metrics_path, "a", encoding="utf-8") if enabled else None
        self._log = open(run_dir / "train.log", "a", encoding="utf-8") if enabled else None
        self._t0 = time.perf_counter()
        self._mark = (self._t0, start)  # (time, step) of the last train line, for it/s
        self._warned: set[str] = set()

    def step(self) -> None:
        self.bar.update(1)

    def log(self, step: int, values: Mapping[str, float], kind: str = "train") -> None:
        """Append one line to metrics.jsonl, mirror to TensorBoard, write a line to train.log
        (and to the console when there is no bar), show the losses on the bar."""
        if not self.enabled:
            return
        now = time.perf_counter()
        record = {"kind": kind, "step": step, "time": round(now - self._t0, 3), **values}
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        if self.tb is not None:
            for k, v in values.items():
                self.tb.add_scalar(tag(k, kind), v, step)
            self.tb.flush()
        self._emit(self._line(step, values, kind, now), bar_too=kind != "train")
        if kind == "train":
            self.bar.set_postfix({k: f"{v:.3g}" for k, v in values.items()}, refresh=False)

    def _line(self, step: int, values: Mapping[str, float], kind: str, now: float) -> str:
        head = f"[{_duration(now - self._t0)}] step {step}/{self.total}"
        if kind == "train":
            t, s = self._mark
            rate = (step - s) / (now - t) if now > t and step > s else 0.0
            eta = f" | eta {_duration((self.total - step) / rate)}" if rate > 0 and step < self.total else ""
            head += f" | {rate:.2f} it/s{eta}"
            self._mark = (now, step)
        else:
            head += f" | {kind}"
        return head + " | " + "  ".join(f"{k} {_number(v)}" for k, v in values.items())

    def message(self, text: str) -> None:
        """A line for train.log and the console (above the bar on a terminal)."""
        if self.enabled:
            self._emit(f"[{_duration(time.perf_counter() - self._t0)}] {text}", bar_too=True)

    @contextlib.contextmanager
    def warnings_to_log(self) -> Iterator[None]:
        """ganforge's warnings raised inside (a FID from too few samples) become a
        ``warning:`` line in train.log and on the console, once per run; others pass on."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
        for w in caught:
            if not issubclass(w.category, GanforgeWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            elif str(w.message) not in self._warned:
                self._warned.add(str(w.message))
                self.message(f"warning: {w.message}")

    def _emit(self, line: str, bar_too: bool) -> None:
        self._log.write(line + "\n")
        self._log.flush()
        if not self.console:
            return
        if self.bar.disable:
            print(line, file=self.stream, flush=True)
        elif bar_too:
            self.bar.write(line, file=self.stream)

    def close(self) -> None:
        self.bar.close()
        for f in (self._file, self._log):
            if f is not None:
                f.close()
        if self.tb is not None:
            self.tb.close()


def evaluation_bar(total: int, enabled: bool) -> tqdm:
    """The bar over an evaluation's batches (generation and feature extraction, the slow
    part of evaluating), on stderr. Off when ``enabled`` is False (``--no-progress``,
    other ranks) and when stderr is not a terminal (``disable=None``: logs and CI stay
    clean); it disappears when done (``leave=False``), so the training bar stays alone."""
    return tqdm(total=total, disable=None if enabled else True, leave=False, desc="evaluating", unit="batch",
                dynamic_ncols=True)


def truncate_log(path: Path, keep) -> list[str]:
    """Keep the JSON lines of ``path`` whose ``step`` satisfies ``keep`` (and drop lines torn by
    a kill), so a log resumed from a checkpoint reads as one uninterrupted run; returns them."""
    if not path.exists():
        return []
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            if keep(json.loads(line).get("step", 0)):
                kept.append(line)
        except json.JSONDecodeError:  # a line torn by the kill
            continue
    atomic_write_bytes(path, "".join(line + "\n" for line in kept).encode("utf-8"))
    return kept

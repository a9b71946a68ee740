"""Stop training before NaN or Inf reaches the weights, a checkpoint or "the last good
checkpoint"; warn when the losses run away while still finite.

Checked each step: the loss before backward, the gradients before the optimiser step
(under fp16 the loss scaler skips steps with non-finite gradients itself); at each log
step the weights, buffers (BatchNorm statistics) and EMA copies; and the whole state
before a checkpoint is written. A checkpoint is only ever written with finite state,
so the one named as the last good one is good, and pruning never removes the last
finite one.
"""

from __future__ import annotations

import math
from typing import Mapping

from ganforge.errors import GanforgeError
from ganforge.finite import summary


class NonFiniteLoss(GanforgeError, FloatingPointError):
    """A loss or logged value became NaN or Inf; the weights were not updated with it."""


class NonFiniteState(GanforgeError, FloatingPointError):
    """Gradients, weights, buffers, EMA copies or optimiser state hold NaN or Inf."""


def _where(last_good: str | None) -> str:
    return f"the last good checkpoint is {last_good}" if last_good else "no checkpoint was written yet"


ADVICE = "resume from it with --resume after lowering the learning rate or switching precision"


def check_finite(phase: str, loss: float, logs: Mapping[str, float], step: int, last_good: str | None) -> None:
    """Raise `NonFiniteLoss` naming the loss, the step and the checkpoint to go back to."""
    if math.isfinite(loss):
        return
    bad = [k for k, v in logs.items() if not math.isfinite(v)]
    also = f"; non-finite logs: {', '.join(bad)}" if bad else ""
    raise NonFiniteLoss(
        f"the {phase} loss is {loss} at step {step + 1}{also}. Training stopped before the update; "
        f"{_where(last_good)} ({ADVICE})"
    )


def nonfinite_state(what: str, names: list[str], step: int, last_good: str | None, when: str) -> NonFiniteState:
    """The error for non-finite ``what`` (e.g. "the generator's gradients") at ``step``
    (1-based); ``when`` says what was kept from happening."""
    found = f": {summary(names)}" if names else " (on another rank)"
    return NonFiniteState(f"{what} hold NaN or Inf at step {step}{found}. Training stopped {when}; "
                          f"{_where(last_good)} ({ADVICE})")


class DivergenceWatch:
    """Warns (once per loss) when a logged total loss grows past ``factor`` times its first
    logged magnitude (taken as at least 1): a loss of 1e11 with finite weights is a run
    that diverged, not one that trains, and it should not end silently with exit 0."""

    KEYS = ("d_loss", "g_loss")

    def __init__(self, factor: float = 1e4):
        self.factor = factor
        self.baseline: dict[str, float] = {}
        self.warned: set[str] = set()

    def check(self, step: int, values: Mapping[str, float]) -> list[str]:
        out = []
        for key in self.KEYS:
            value = values.get(key)
            if value is None or not math.isfinite(value):
                continue
            base = self.baseline.setdefault(key, max(1.0, abs(value)))
            if abs(value) > self.factor * base and key not in self.warned:
                self.warned.add(key)
                out.append(f"the run looks diverged: {key} is {value:.3g} at step {step}, more than "
                           f"{self.factor:g} times its first logged magnitude ({base:.3g}); lower the learning "
                           "rate (see metrics.jsonl)")
        return out

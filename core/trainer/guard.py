"""Stop on a non-finite loss before it reaches the weights."""

from __future__ import annotations

import math
from typing import Mapping

from ganforge.errors import GanforgeError


class NonFiniteLoss(GanforgeError, FloatingPointError):
    """A loss or logged value became NaN or Inf; the weights were not updated with it."""


def check_finite(phase: str, loss: float, logs: Mapping[str, float], step: int, last_good: str | None) -> None:
    """Raise `NonFiniteLoss` naming the loss, the step and the checkpoint to go back to."""
    if math.isfinite(loss):
        return
    bad = [k for k, v in logs.items() if not math.isfinite(v)]
    also = f"; non-finite logs: {', '.join(bad)}" if bad else ""
    where = f"the last good checkpoint is {last_good}" if last_good else "no checkpoint was written yet"
    raise NonFiniteLoss(
        f"the {phase} loss is {loss} at step {step + 1}{also}. Training stopped before the update; "
        f"{where} (resume from it with --resume after lowering the learning rate or switching precision)"
    )

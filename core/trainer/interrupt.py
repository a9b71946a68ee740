"""Stop on SIGINT / SIGTERM at a step boundary, with a checkpoint, instead of losing work.

A scheduler's time limit (SIGTERM) or Ctrl-C (SIGINT) can arrive in the middle of a step,
after the discriminator's update and before the generator's; a checkpoint written there
would not resume exactly. The handler only records the signal; the loop finishes the
step, writes a checkpoint that `--resume` continues bit-identically, and stops. A second
signal stops at once (the default behaviour), for a run that hangs.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator

import torch

from ganforge.errors import GanforgeError

from .distributed import World, mean_over_ranks

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class TrainingInterrupted(GanforgeError):
    """Training stopped on a signal after writing a checkpoint; ``--resume`` continues it.
    Every rank stops together, so the command line says it once (rank 0)."""

    said_by_every_rank = True


class StopRequest:
    """The first signal received, if any (set by the handler, read between steps)."""

    def __init__(self) -> None:
        self.signal: signal.Signals | None = None

    def requested(self, world: World, device: torch.device) -> bool:
        """True on every rank once any rank received a signal (ranks must stop together)."""
        local = 1.0 if self.signal is not None else 0.0
        if not world.distributed:
            return bool(local)
        return bool(mean_over_ranks(torch.tensor([local], device=device), world).item() > 0)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """Install the handlers for the block (main thread only: Python delivers signals
    there; elsewhere the request simply never fires) and restore the previous ones."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def handle(signum, frame) -> None:
        request.signal = signal.Signals(signum)
        for s in SIGNALS:  # a second signal gets the default behaviour
            signal.signal(s, previous[s])

    previous = {s: signal.getsignal(s) for s in SIGNALS}
    for s in SIGNALS:
        signal.signal(s, handle)
    try:
        yield request
    finally:
        for s in SIGNALS:
            signal.signal(s, previous[s])

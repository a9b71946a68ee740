"""One trainer per run folder: a second one would interleave checkpoints and logs.

The main process holds an exclusive ``flock`` on ``run_dir/.lock`` while it trains; the
kernel drops it when the process ends, however it ends, so a killed run never leaves a
stale lock behind.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from ganforge.errors import ConfigError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, no protection
    fcntl = None


def lock_run_dir(run_dir: Path) -> IO | None:
    """Lock ``run_dir`` for this process (the open lock file; close it to release); a
    folder another trainer holds is a `ConfigError` naming that process."""
    if fcntl is None:
        return None
    run_dir.mkdir(parents=True, exist_ok=True)
    f = open(run_dir / ".lock", "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        holder = f.read().strip() or "?"
        f.close()
        raise ConfigError(f"run folder {run_dir} is in use by another trainer (pid {holder}); wait for it to "
                          "finish or train into another --out") from None
    f.seek(0)
    f.truncate()
    f.write(str(os.getpid()))
    f.flush()
    return f

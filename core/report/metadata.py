"""What a run was: versions, code commit, device, parameter counts (``run.json``,
written by the trainer at each start) and how fast it went (from metrics.jsonl)."""

from __future__ import annotations

import datetime
import json
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch

RUN_JSON = "run.json"


def git_commit(folder: Path) -> str | None:
    """The commit of the git checkout holding ``folder`` (``+dirty`` with local changes);
    None outside a checkout or without git."""
    try:
        head = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip()[:12] + ("+dirty" if dirty.stdout.strip() else "")


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    threads = torch.get_num_threads()
    return f"cpu: {platform.processor() or platform.machine()}, {threads} thread{'s' if threads > 1 else ''}"


def collect(device: torch.device, world_size: int, parameters: dict[str, dict[str, int]], step: int,
            plugins: list[tuple[str, str | None]]) -> dict[str, Any]:
    """The ``run.json`` record of a (re)start."""
    import ganforge

    return {
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "start_step": step,
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "versions": {"ganforge": ganforge.__version__, "torch": torch.__version__,
                     "python": platform.python_version()},
        "plugins": {name: version or "local" for name, version in plugins},
        "git_commit": git_commit(Path(ganforge.__file__).resolve().parent),
        "device": device_name(device),
        "processes": world_size,
        "parameters": parameters,
    }


def write(run_dir: Path, record: dict[str, Any]) -> None:
    from ganforge.files import atomic_write_bytes

    atomic_write_bytes(run_dir / RUN_JSON, (json.dumps(record, indent=2) + "\n").encode("utf-8"))


def read(run_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((run_dir / RUN_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def speed(records: list[dict[str, Any]]) -> dict[str, float]:
    """Wall time (summed over resumed sessions: ``time`` restarts at 0 in each) and it/s of
    the last session, from the training records."""
    train = [r for r in records if r.get("kind") == "train" and "time" in r]
    if not train:
        return {}
    wall, session = 0.0, [train[0]]
    for prev, r in zip(train, train[1:]):
        if r["time"] < prev["time"]:  # a new session began
            wall += prev["time"]
            session = [r]
        else:
            session.append(r)
    wall += train[-1]["time"]
    out = {"wall_time_s": wall}
    first, last = session[0], session[-1]
    if last["time"] > first["time"]:
        out["it_per_s"] = (last["step"] - first["step"]) / (last["time"] - first["time"])
    return out

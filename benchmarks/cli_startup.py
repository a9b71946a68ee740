"""Whole-process CPU time of the fast CLI commands against ``python -c "import torch"``.

Each command runs as its own process (one thread, pinned to one core when ``taskset`` is
there), interleaved with the others, ``--reps`` times; CPU time (user + system of the child,
from ``wait4``) is what the machine's load changes least. The snapshot is made first;
"discovery, no snapshot" is ``ganforge plugins`` with ``GANFORGE_NO_CACHE=1``: every
plugin imported.

    python benchmarks/cli_startup.py --reps 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
GANFORGE = str(BIN / "ganforge")
COMMANDS = {
    "import torch": [sys.executable, "-c", "import torch"],
    "ganforge --help": [GANFORGE, "--help"],
    "ganforge --version": [GANFORGE, "--version"],
    "ganforge plugins": [GANFORGE, "plugins"],
    "ganforge components": [GANFORGE, "components"],
    "ganforge describe strategy stargan_v2": [GANFORGE, "describe", "strategy", "stargan_v2"],
    "ganforge schema": [GANFORGE, "schema"],
    "discovery, no snapshot (plugins)": [GANFORGE, "plugins"],
}


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run."""
    prefix = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    start = time.perf_counter()
    proc = subprocess.Popen([*prefix, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed")
    return usage.ru_utime + usage.ru_stime, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    subprocess.run([GANFORGE, "plugins"], env=env, check=True, capture_output=True)  # the snapshot
    cpu: dict[str, list[float]] = {k: [] for k in COMMANDS}
    wall: dict[str, list[float]] = {k: [] for k in COMMANDS}
    for _ in range(args.reps):
        for name, argv in COMMANDS.items():
            run_env = {**env, "GANFORGE_NO_CACHE": "1"} if name.startswith("discovery") else env
            c, w = measure(argv, run_env)
            cpu[name].append(c)
            wall[name].append(w)
    torch_cpu = statistics.median(cpu["import torch"])
    print(f"load average {os.getloadavg()[0]:.1f}, {args.reps} interleaved runs, medians")
    print(f"{'command':40} {'CPU s':>7} {'x torch':>8} {'+ms vs torch':>13} {'wall s':>7}")
    for name in COMMANDS:
        c = statistics.median(cpu[name])
        print(f"{name:40} {c:7.2f} {c / torch_cpu:8.2f} {1000 * (c - torch_cpu):13.0f} "
              f"{statistics.median(wall[name]):7.1f}")


if __name__ == "__main__":
    main()

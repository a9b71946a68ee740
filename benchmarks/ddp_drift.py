"""How far 2 gloo processes drift from 1 process, next to the drift 2 threads give.

    python benchmarks/ddp_drift.py                    # SPADE synthetic.yaml, 20 steps
    python benchmarks/ddp_drift.py --steps 20 --config plugins/spade/configs/synthetic.yaml

Trains the same config three times through the CLI with the same global batch: one
process on one thread (the reference), one process on two threads, and two processes
under ``torchrun --standalone`` (one thread each; SPADE's ``syncbatch`` norms
synchronise over gloo). Prints, per network and at steps 1, 2, 5, 10 and 20, the relative L2
distance of the parameters to the reference's and the largest absolute difference, and
the final losses.
Floating-point sums in a different order are the only difference between the runs, so
the numbers show how quickly GAN training amplifies rounding.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from ganforge.trainer import list_checkpoints, load_checkpoint


def run(label: str, cmd: list[str], threads: int, out: Path) -> dict[int, dict]:
    """Step -> checkpoint state of one training run."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    t0 = time.perf_counter()
    subprocess.run([*cmd, "--out", str(out), "--no-progress"], env=env, check=True, capture_output=True)
    states = {int(p.stem[5:]): load_checkpoint(p) for p in list_checkpoints(out / "checkpoints")}
    last = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()][-1]
    print(f"{label}: step {max(states)}, d_loss {last['d_loss']:.6f}, g_loss {last['g_loss']:.6f} "
          f"({time.perf_counter() - t0:.0f} s wall)", flush=True)
    return states


def drift(ref: dict, other: dict, role: str) -> tuple[float, float]:
    """(||w - w_ref|| / ||w_ref||, max |w - w_ref|) over the parameters of ``role`` (buffers
    such as BatchNorm statistics and spectral-norm vectors left out)."""
    keys = [k for k in ref["models"][role] if not any(b in k for b in ("running_", "num_batches", "weight_u", "weight_v"))]
    a = torch.cat([ref["models"][role][k].double().reshape(-1) for k in keys])
    b = torch.cat([other["models"][role][k].double().reshape(-1) for k in keys])
    return float((a - b).norm() / a.norm()), float((a - b).abs().max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="plugins/spade/configs/synthetic.yaml")
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    sets = ["--set", f"train.steps={args.steps}", "--set", "train.sample_every=0", "--set", "train.device=cpu",
            "--set", "train.log_every=1", "--set", "train.checkpoint_every=1", "--set", f"train.keep_last={args.steps}"]
    train = ["-m", "ganforge.cli", "train", args.config, *sets]
    torchrun = str(Path(sys.executable).with_name("torchrun"))
    tmp = Path(tempfile.mkdtemp(prefix="ddp_drift_"))
    try:
        ref = run("1 process, 1 thread ", [sys.executable, *train], 1, tmp / "one")
        threads = run("1 process, 2 threads", [sys.executable, *train], 2, tmp / "threads")
        procs = run("2 processes (gloo)  ", [torchrun, "--standalone", "--nproc_per_node", "2", *train], 1,
                    tmp / "procs")
        print("\nparameters: relative L2 / max abs difference to 1 process, 1 thread")
        for step in sorted({s for s in (1, 2, 5, 10, 20, args.steps) if s in ref}):
            for role in ref[step]["models"]:
                (rt, mt), (rp, mp) = drift(ref[step], threads[step], role), drift(ref[step], procs[step], role)
                print(f"  step {step:3d} {role:14s} 2 threads {rt:.2e} / {mt:.2e}   2 processes {rp:.2e} / {mp:.2e}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

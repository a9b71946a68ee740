"""Cost and quality of a `ganforge demo` candidate: train the demo's config with overrides.

    OMP_NUM_THREADS=1 python benchmarks/demo_candidates.py OUT KEY=VALUE ...

One thread (on a shared machine a second one mostly waits for the first). Prints one JSON
line: CPU seconds of the process (all threads), wall seconds, CPU seconds per step, the
load average at the start and the end, and the evaluations (PSNR / SSIM / SWD). Results:
docs/results.md ("The demo").
"""

import json
import os
import sys
import time
from pathlib import Path

import torch

from ganforge import registry
from ganforge.cli_train import DEMO_STEPS, demo_config, train_command
from ganforge.report.html import read_metrics

if __name__ == "__main__":
    torch.set_num_threads(1)
    registry.load()
    out, overrides = sys.argv[1], sys.argv[2:]
    steps = next((int(o.split("=", 1)[1]) for o in overrides if o.startswith("train.steps=")), DEMO_STEPS)
    load, cpu, wall = os.getloadavg(), time.process_time(), time.time()
    train_command(str(demo_config()), ["train.device=cpu", *overrides], out, False, show_progress=False)
    cpu, wall = time.process_time() - cpu, time.time() - wall
    evals = [r for r in read_metrics(Path(out) / "metrics.jsonl") if r.get("kind") == "eval"]
    print(json.dumps({"cpu_s": round(cpu, 1), "wall_s": round(wall, 1), "cpu_s_per_step": round(cpu / steps, 3),
                      "load_start": load, "load_end": os.getloadavg(), "eval": evals}), flush=True)

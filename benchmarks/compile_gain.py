"""``train.compile`` on CPU: what the first steps cost, what a steady-state step gains.

    OMP_NUM_THREADS=1 python benchmarks/compile_gain.py plugins/spade/configs/synthetic.yaml
    OMP_NUM_THREADS=1 python benchmarks/compile_gain.py plugins/stargan_v2/configs/synthetic.yaml

Two trainers on the same config and seed in one process, one eager and one with
``train.compile`` (default inductor). The compiled one's warm-up steps are timed with the
C++ compiler's CPU time (child processes) included: a cold kernel cache
(``TORCHINDUCTOR_CACHE_DIR`` empty) pays the whole compilation, a warm one only tracing.
Then steady-state steps alternate eager / compiled on one fixed batch, so both see the
same machine load; medians of CPU (process) and wall time, and their ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time

import torch

from ganforge.config import load_config
from ganforge.trainer import Trainer


def cpu_with_children() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--set", action="append", default=[], help="config override, as ganforge train --set")
    parser.add_argument("--backend", default="true", help="train.compile value (true = inductor)")
    parser.add_argument("--warmup", type=int, default=2, help="compiled steps before timing (compilation)")
    parser.add_argument("--steps", type=int, default=6, help="timed steps per side, alternating")
    parser.add_argument("--json", default=None, help="append the result as one JSON line to this file")
    args = parser.parse_args()
    base = ["train.device=cpu", "train.steps=1000000", "train.sample_every=0", "train.checkpoint_every=0", *args.set]
    with tempfile.TemporaryDirectory() as out:
        eager = Trainer(load_config(args.config, base), os.path.join(out, "eager"), show_progress=False)
        compiled = Trainer(load_config(args.config, [*base, f"train.compile={args.backend}"]),
                           os.path.join(out, "compiled"), show_progress=False)
        raw = next(iter(eager.batches))
        warmup = []
        for i in range(args.warmup):
            c0, t0 = cpu_with_children(), time.perf_counter()
            compiled.train_step(raw)
            warmup.append((time.perf_counter() - t0, cpu_with_children() - c0))
            print(f"compiled warm-up step {i}: wall {warmup[-1][0]:.1f} s, CPU incl. compiler {warmup[-1][1]:.1f} s",
                  flush=True)
        eager.train_step(raw)
        times = {(side, clock): [] for side in ("eager", "compiled") for clock in ("wall", "cpu")}
        for i in range(args.steps):
            for side, trainer in (("eager", eager), ("compiled", compiled))[:: 1 if i % 2 == 0 else -1]:
                c0, t0 = time.process_time(), time.perf_counter()
                trainer.train_step(raw)
                times[side, "wall"].append(time.perf_counter() - t0)
                times[side, "cpu"].append(time.process_time() - c0)
    med = {f"{side}_{clock}_s": statistics.median(v) for (side, clock), v in times.items()}
    result = {"config": args.config, "set": args.set, "backend": args.backend, "torch": torch.__version__,
              "threads": torch.get_num_threads(), "warmup": warmup, "steps": args.steps, **med,
              "cpu_ratio": med["compiled_cpu_s"] / med["eager_cpu_s"],
              "wall_ratio": med["compiled_wall_s"] / med["eager_wall_s"],
              "load_average": os.getloadavg()}
    print(f"{args.config} {' '.join(args.set)}: steady state, median of {args.steps} alternating steps, "
          f"{torch.get_num_threads()} thread(s)")
    for clock in ("cpu", "wall"):
        print(f"  {clock:<4} eager {med[f'eager_{clock}_s'] * 1e3:8.1f} ms  compiled {med[f'compiled_{clock}_s'] * 1e3:8.1f} ms"
              f"  compiled/eager {result[f'{clock}_ratio']:.3f}")
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()

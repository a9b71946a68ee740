"""What the NaN guard costs: the gradient check (every step, before the optimiser step) and
the weights / buffers / EMA check (every log step), on SPADE's synthetic.yaml networks
(64x64, batch 4, EMA on).

    python benchmarks/nan_guard.py [--repeats 20] [--steps 4]

Prints each check's own time (median over repeats) next to a whole training step's,
wall and CPU, one thread. Needs the SPADE plugin.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from ganforge.config import load_config
from ganforge.trainer import Trainer

CONFIG = Path(__file__).resolve().parents[1] / "plugins" / "spade" / "configs" / "synthetic.yaml"


def timed(fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(1)
    exp = load_config(CONFIG, ["train.device=cpu", "train.ema.enabled=true"])
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(exp, Path(tmp) / "run", show_progress=False)
        raw = next(iter(trainer.batches))
        trainer.train_step(raw)  # warm-up
        steps = [timed(lambda: trainer.train_step(raw)) for _ in range(args.steps)]
        params = [p for o in trainer.optimizers.values() for g in o.param_groups for p in g["params"]]

        grads = [timed(lambda: trainer._guard_gradients("generator", params)) for _ in range(args.repeats)]
        weights = [timed(lambda: trainer._guard_weights(trainer.run.step)) for _ in range(args.repeats)]
    count = sum(p.numel() for p in params)
    for name, rows in (("gradient check", grads), ("weights check", weights), ("training step", steps)):
        wall, cpu = (statistics.median(r[i] for r in rows) * 1e3 for i in (0, 1))
        print(f"{name:20s} wall {wall:9.2f} ms  cpu {cpu:9.2f} ms  (median of {len(rows)})")
    print(f"{count:,} trained parameters, plus buffers and the generator's EMA copy")


if __name__ == "__main__":
    main()

"""SPADE's training step on CPU at 256x256, batch 1: fp32 and bf16 autocast side by side.

    python benchmarks/spade_step.py                      # paper networks (ngf = ndf = 64)
    python benchmarks/spade_step.py --repeats 1 --warmup 0     # one round each, on a slow machine

Times the discriminator and the generator step separately, forward (the recipe's loss)
and backward, with the paper's networks (SPADE generator, 2-scale 4-layer patch
discriminators, hinge + feature matching; VGG is off because its weights cannot be
downloaded here). fp32 and bf16 iterations alternate, so both see the same machine load.
Needs the SPADE plugin (``pip install -e plugins/spade``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch

from ganforge.config import from_dict
from ganforge.trainer import Trainer


def experiment(resolution: int, ngf: int, ndf: int):
    return from_dict({
        "data": {"type": "synthetic", "resolution": resolution, "fields": ["label", "instance"], "length": 16},
        "models": {"generator": {"type": "spade", "ngf": ngf},
                   "discriminator": {"type": "multiscale_patch", "ndf": ndf, "n_layers": 4, "num_D": 2}},
        "strategy": {"type": "paired_conditional", "vgg": None},
        "train": {"steps": 1, "batch_size": 1, "device": "cpu", "sample_every": 0},
    }, "benchmark")


def timed_phase(trainer: Trainer, phase: str, batch) -> tuple[float, float]:
    """(forward, backward) seconds of one player's step."""
    hook = getattr(trainer.pm.hook, f"ganforge_{phase}_step")
    trainer.run.models.zero_grad(set_to_none=True)
    t0 = time.perf_counter()
    loss = hook(run=trainer.run, batch=batch).loss
    t1 = time.perf_counter()
    loss.backward()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=256)
    parser.add_argument("--ngf", type=int, default=64)
    parser.add_argument("--ndf", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5, help="timed steps per precision")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (allocator, kernels)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(experiment(args.resolution, args.ngf, args.ndf), out, show_progress=False)
        batch = trainer.sample_batch
        batch = {**batch, "image": batch["image"][:1], "cond": type(batch["cond"])(
            {k: v[:1] for k, v in batch["cond"].items()})}
        times = {p: {"discriminator": [], "generator": []} for p in ("fp32", "bf16")}
        for i in range(args.warmup + args.repeats):
            for precision, dtype in (("fp32", None), ("bf16", torch.bfloat16)):
                trainer.run.amp_dtype = dtype
                for phase in ("discriminator", "generator"):
                    fwd, bwd = timed_phase(trainer, phase, batch)
                    warm = i < args.warmup
                    if not warm:
                        times[precision][phase].append((fwd, bwd))
                    print(f"round {i} {precision} {phase}: forward {fwd * 1e3:.0f} ms, backward {bwd * 1e3:.0f} ms"
                          + (" (warm-up)" if warm else ""), flush=True)
    print(f"SPADE step, {args.resolution}x{args.resolution}, batch 1, CPU, {args.threads} threads, "
          f"ngf {args.ngf}, ndf {args.ndf}, median of {args.repeats} (ms)")
    print(f"{'precision':<10}{'D fwd':>10}{'D bwd':>10}{'G fwd':>10}{'G bwd':>10}{'step':>10}")
    for precision, phases in times.items():
        med = {ph: [statistics.median(x[i] for x in v) * 1e3 for i in (0, 1)] for ph, v in phases.items()}
        total = sum(med["discriminator"]) + sum(med["generator"])
        print(f"{precision:<10}{med['discriminator'][0]:>10.0f}{med['discriminator'][1]:>10.0f}"
              f"{med['generator'][0]:>10.0f}{med['generator'][1]:>10.0f}{total:>10.0f}")


if __name__ == "__main__":
    main()

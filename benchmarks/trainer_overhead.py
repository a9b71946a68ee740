"""The trainer's step against a bare hand-written loop over the same networks and losses.

    python benchmarks/trainer_overhead.py                       # SPADE, synthetic.yaml networks
    python benchmarks/trainer_overhead.py --steps 20 --resolution 64

Both loops call the same recipe's loss code on the same pre-loaded batch, back-propagate
and step the same Adam optimisers. The bare loop does nothing else; the trainer's step
adds what it owns: pluggy dispatch, batch wrapping, the learning-rate schedule, logs
reduced to floats (one sync per player), the NaN guard, the (disabled) loss scaler and
the after-step hooks. Blocks of the two alternate so both see the same machine load.
The goal is a trainer step within 2% of the bare one. Needs the SPADE plugin.

``--rss`` instead runs each loop alone in its own process (warm-up plus ``--steps``
steps) and prints its peak resident memory (``ru_maxrss``), which one process holding
both loops could not tell apart.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import torch

from ganforge.config import load_config
from ganforge.trainer import Trainer
from ganforge.trainer.data import to_run_batch


def bare_step(trainer: Trainer, batch) -> None:
    """What a hand-written loop does: loss, zero_grad, backward, step, for D then G."""
    recipe, run = trainer.strategies[0], trainer.run
    for phase, opt in (("discriminator", trainer.optimizers["discriminator"]),
                       ("generator", trainer.optimizers["generator"])):
        loss = getattr(recipe, f"ganforge_{phase}_step")(run, batch).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="plugins/spade/configs/synthetic.yaml")
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per loop (in blocks of 2)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--rss", action="store_true", help="peak RSS of each loop, each in its own process")
    parser.add_argument("--only", choices=("trainer", "bare"), help=argparse.SUPPRESS)  # one --rss child
    args = parser.parse_args()
    if args.rss:
        return peak_rss(args)
    torch.set_num_threads(args.threads)
    overrides = [f"data.resolution={args.resolution}", f"train.batch_size={args.batch}", "train.device=cpu",
                 "train.steps=1000000", "train.sample_every=0", "train.checkpoint_every=0"]
    exp = load_config(args.config, overrides)
    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(exp, out, show_progress=False)
        raw = next(iter(trainer.batches))
        batch = to_run_batch(raw, trainer.data_info, trainer.device, False)
        if args.only:
            step = (lambda: trainer.train_step(raw)) if args.only == "trainer" else (lambda: bare_step(trainer, batch))
            for _ in range(args.steps + 1):
                step()
            print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux
            return
        trainer.train_step(raw), bare_step(trainer, batch)  # warm-up
        clocks = {"wall": time.perf_counter, "cpu": time.process_time}
        times = {(loop, clock): [] for loop in ("trainer", "bare") for clock in clocks}
        for _ in range(max(1, args.steps // 2)):
            for loop, fn in (("trainer", lambda: trainer.train_step(raw)), ("bare", lambda: bare_step(trainer, batch))):
                for _ in range(2):
                    start = {c: f() for c, f in clocks.items()}
                    fn()
                    for c, f in clocks.items():
                        times[loop, c].append(f() - start[c])
    print(f"{args.config} at {args.resolution}x{args.resolution}, batch {args.batch}, CPU, {args.threads} threads, "
          f"median of {args.steps} steps each (cpu = process time, robust to other load on the machine)")
    for clock in clocks:
        t, b = statistics.median(times["trainer", clock]), statistics.median(times["bare", clock])
        print(f"{clock:<5} bare {b * 1e3:9.1f} ms/step   trainer {t * 1e3:9.1f} ms/step   "
              f"overhead {(t - b) * 1e3:+8.1f} ms ({(t / b - 1) * 100:+.2f}%)")


def peak_rss(args) -> None:
    """Each loop alone in a child process, alternating, twice each."""
    peaks = {"trainer": [], "bare": []}
    for _ in range(2):
        for loop in peaks:
            cmd = [sys.executable, __file__, "--config", args.config, "--resolution", str(args.resolution),
                   "--batch", str(args.batch), "--steps", str(args.steps), "--threads", str(args.threads),
                   "--only", loop]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.split()
            peaks[loop].append(int(out[-1]) / 2 ** 20)
    print(f"{args.config} at {args.resolution}x{args.resolution}, batch {args.batch}: peak RSS over "
          f"{args.steps + 1} steps, each loop in its own process, 2 runs each")
    for loop, v in peaks.items():
        print(f"{loop:<8} {' '.join(f'{x:.3f}' for x in v)} GiB")
    print(f"trainer / bare: {max(peaks['trainer']) / max(peaks['bare']):.3f}")


if __name__ == "__main__":
    main()

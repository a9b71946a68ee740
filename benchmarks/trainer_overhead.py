"""The trainer's step against a bare hand-written loop over the same networks and losses.

    OMP_NUM_THREADS=1 python benchmarks/trainer_overhead.py --batch 1 --pairs 300 --threads 1
    OMP_NUM_THREADS=1 python benchmarks/trainer_overhead.py --parts --batch 1 --threads 1
    OMP_NUM_THREADS=1 python benchmarks/trainer_overhead.py --rss --steps 3 --batch 4 --threads 1

Both loops run the same recipe's loss code on the same pre-loaded batch, in the recipe's
update order (SPADE: generator, then discriminator), each phase followed by
``zero_grad(set_to_none=True)``, backward and the same optimisers' step. The bare loop does
nothing else (no EMA, R1 or logging: run it on configs without EMA and R1, such as SPADE's
synthetic.yaml, for a like-for-like comparison). The trainer side is `Trainer.advance`,
all that ``fit`` does per batch except loading it: pluggy dispatch, batch wrapping and the
label check, the learning-rate schedule, logs reduced to floats, the NaN guard (loss and
gradients every step; weights, buffers and EMA copies at log steps), the (disabled) loss
scaler, the after-step hooks, the log window and the progress bar, and every
``train.log_every`` steps a log line (metrics.jsonl, train.log, TensorBoard).

Steps alternate one by one (trainer, bare, bare, trainer, ...) so that both see the same
machine load; on a shared machine a step's CPU time varies by 10-20% from one step to the
next, so what is printed is the mean difference per step (the trainer's log steps
included at their rate) with its 95% interval, beside the medians. The goal is a
trainer step within 2% of the bare one. Needs the SPADE plugin.

``--parts`` times each of the trainer's additions alone (median of repeated calls, warm
caches): where a difference comes from, free of the machine's noise. ``--rss`` runs each
loop alone in its own process (warm-up plus ``--steps`` steps) and prints its peak resident
memory (``ru_maxrss``), which one process holding both loops could not tell apart.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import torch

from ganforge.config import load_config
from ganforge.interfaces import StepResult
from ganforge.trainer import Trainer
from ganforge.trainer.data import to_run_batch
from ganforge.trainer.optim import lr_factor, set_learning_rates


def bare_step(trainer: Trainer, batch) -> None:
    """What a hand-written loop does: per update of the recipe, loss, zero_grad, backward, step."""
    recipe = trainer.strategies[0]
    for phase, update in type(recipe).updates:
        batch["update"] = update
        loss = getattr(recipe, f"ganforge_{phase}_step")(trainer.run, batch).loss
        optims = [trainer.optimizers[n] for n in trainer.phase_optims[phase]]
        for opt in optims:
            opt.zero_grad(set_to_none=True)
        loss.backward()
        for opt in optims:
            opt.step()


def build(args) -> tuple[Trainer, dict, dict, tempfile.TemporaryDirectory]:
    torch.set_num_threads(args.threads)
    overrides = [f"data.resolution={args.resolution}", f"train.batch_size={args.batch}", "train.device=cpu",
                 "train.steps=1000000", "train.sample_every=0", "train.checkpoint_every=0"]
    out = tempfile.TemporaryDirectory()
    trainer = Trainer(load_config(args.config, overrides), out.name, show_progress=False)
    raw = next(iter(trainer.batches))
    return trainer, raw, to_run_batch(raw, trainer.data_info, trainer.device, False), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="plugins/spade/configs/synthetic.yaml")
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--pairs", type=int, default=100, help="timed steps per loop, alternating")
    parser.add_argument("--steps", type=int, default=3, help="--rss: steps after the warm-up")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--parts", action="store_true", help="CPU time of each trainer addition alone")
    parser.add_argument("--rss", action="store_true", help="peak RSS of each loop, each in its own process")
    parser.add_argument("--json", help="append the result as one JSON line to this file")
    parser.add_argument("--only", choices=("trainer", "bare"), help=argparse.SUPPRESS)  # one --rss child
    args = parser.parse_args()
    if args.rss:
        return peak_rss(args)
    trainer, raw, batch, out = build(args)
    with out:
        if args.only:
            step = (lambda: trainer.advance(raw)) if args.only == "trainer" else (lambda: bare_step(trainer, batch))
            for _ in range(args.steps + 1):
                step()
            print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux
            return
        if args.parts:
            return parts(trainer, raw, batch)
        result = alternate(trainer, raw, batch, args)
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps(result) + "\n")


def alternate(trainer: Trainer, raw, batch, args) -> dict:
    loops = {"trainer": lambda: trainer.advance(raw), "bare": lambda: bare_step(trainer, batch)}
    for _ in range(2):
        for fn in loops.values():
            fn()
    times = {(loop, clock): [] for loop in loops for clock in ("cpu", "wall")}
    for i in range(args.pairs):
        for name in ("trainer", "bare") if i % 2 == 0 else ("bare", "trainer"):
            c0, t0 = time.process_time(), time.perf_counter()
            loops[name]()
            times[name, "cpu"].append(time.process_time() - c0)
            times[name, "wall"].append(time.perf_counter() - t0)
    load = os.getloadavg()
    print(f"{args.config} at {args.resolution}x{args.resolution}, batch {args.batch}, CPU, {args.threads} thread(s); "
          f"{args.pairs} alternating step pairs (trainer log step every {trainer.cfg.log_every}); "
          f"load average {load[0]:.1f} {load[1]:.1f}")
    result = {"config": args.config, "resolution": args.resolution, "batch": args.batch, "threads": args.threads,
              "pairs": args.pairs, "log_every": trainer.cfg.log_every, "load_average": load, "torch": torch.__version__}
    for clock in ("cpu", "wall"):
        t, b = times["trainer", clock], times["bare", clock]
        diff = [x - y for x, y in zip(t, b)]
        mean_b, mean_d = statistics.fmean(b), statistics.fmean(diff)
        half = 1.96 * statistics.stdev(diff) / len(diff) ** 0.5  # 95% interval of the mean difference
        print(f"{clock:<4} per step, mean: bare {mean_b * 1e3:7.1f} ms  trainer {statistics.fmean(t) * 1e3:7.1f} ms  "
              f"difference {mean_d * 1e3:+6.2f} ms +- {half * 1e3:.2f} ({mean_d / mean_b * 100:+.2f}% +- "
              f"{half / mean_b * 100:.2f}%);  medians: bare {statistics.median(b) * 1e3:7.1f}  trainer "
              f"{statistics.median(t) * 1e3:7.1f}  pair difference {statistics.median(diff) * 1e3:+6.2f} ms")
        result[clock] = {"bare_s": b, "trainer_s": t, "mean_difference_s": mean_d, "ci95_s": half,
                         "ratio_of_means": statistics.fmean(t) / mean_b,
                         "ratio_of_medians": statistics.median(t) / statistics.median(b)}
    return result


def parts(trainer: Trainer, raw, batch) -> None:
    """Each addition of the trainer's step alone, CPU time, median of repeated calls."""
    trainer.advance(raw)  # gradients exist, and one step's logs
    run, hook, every = trainer.run, trainer.pm.hook, trainer.cfg.log_every

    def cpu_ms(fn, n: int = 200) -> float:
        times = []
        for _ in range(n):
            c0 = time.process_time_ns()
            fn()
            times.append(time.process_time_ns() - c0)
        return statistics.median(times) / 1e6

    recipe = trainer.strategies[0]
    logs = {phase: getattr(recipe, f"ganforge_{phase}_step")(run, batch).logs for phase, _ in type(recipe).updates}
    window, names = {}, [k for v in logs.values() for k in ("loss", *v)]
    per_step = {
        "learning-rate schedule": lambda: set_learning_rates(
            trainer.optimizers, lr_factor(trainer.exp.schedule, run.step, trainer.cfg.steps)),
        "batch wrapping + label check": lambda: to_run_batch(raw, trainer.data_info, trainer.device, False),
        "hooks prepare_batch + after_step (dispatch)": lambda: (hook.ganforge_prepare_batch(run=run, batch=batch),
                                                              hook.ganforge_after_step(run=run, step=run.step, logs={})),
        "logs to floats, both phases": lambda: [trainer._phase(p, StepResult(None, v), {}) for p, v in logs.items()],
        "log window + progress bar": lambda: ([window.setdefault(k, []).append(0.0) for k in names],
                                              trainer.progress.step()),
    }
    for phase, optims in trainer.phase_optims.items():
        params = [p for n in optims for g in trainer.optimizers[n].param_groups for p in g["params"]]
        label = f"gradient check, {phase} ({len(params)} tensors, {sum(p.numel() for p in params) / 1e6:.2f} M)"
        per_step[label] = lambda phase=phase, params=params: trainer._guard_gradients(phase, params)
    per_log = {"weights, buffers and EMA check": lambda: trainer._guard_weights(run.step),
               "log line (metrics.jsonl, train.log, TensorBoard)": lambda: trainer.progress.log(run.step, {"x": 1.0})}
    print(f"CPU ms per call (median of 200; warm caches), {torch.get_num_threads()} thread(s)")
    total = 0.0
    for name, fn in per_step.items():
        ms = cpu_ms(fn)
        total += ms
        print(f"  every step    {ms:7.3f}  {name}")
    for name, fn in per_log.items():
        ms = cpu_ms(fn, 50)
        total += ms / every
        print(f"  every {every:<3} st. {ms:7.3f}  {name}  ({ms / every:.3f} per step)")
    print(f"  sum per step  {total:7.3f}")


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

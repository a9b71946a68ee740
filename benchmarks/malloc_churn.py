"""Kernel time from large temporaries: StarGAN v2's AFHQ generator, forward + backward at
256x256, batch 2, one thread, with glibc's default malloc and with mmap off.

    python benchmarks/malloc_churn.py [--rounds 2] [--iterations 2]

A 64-channel activation at batch 2 and 256 px is 33.5 MB, above glibc's largest mmap
threshold (32 MiB): each such temporary is a fresh mmap, zero-filled page by page on first
touch and unmapped when freed, in every iteration. ``MALLOC_MMAP_MAX_=0`` (with a trim
threshold that keeps freed memory) serves them from the heap instead. Each variant runs
in its own process, alternating; printed per iteration: user and system CPU seconds,
minor page faults, and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys

VARIANTS = {"glibc default": {}, "mmap off": {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(2 ** 36)}}


def measure(iterations: int) -> dict:
    import torch

    import ganforge

    torch.set_num_threads(1)
    torch.manual_seed(0)
    data = ganforge.DataInfo(fields=frozenset({"domain"}), num_domains=3, resolution=(256, 256))
    G = ganforge.build("generator", {"type": "stargan_v2", "style_dim": 64, "max_conv_dim": 512,
                                     "norm": {"type": "adain", "style_dim": 64}}, data, check=False)
    cond = ganforge.Condition(source=torch.randn(2, 3, 256, 256), style=torch.randn(2, 64))

    def it():
        G(cond).square().mean().backward()
    it()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(iterations):
        it()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return {"user": (r1.ru_utime - r0.ru_utime) / iterations, "sys": (r1.ru_stime - r0.ru_stime) / iterations,
            "minflt": (r1.ru_minflt - r0.ru_minflt) / iterations, "rss_gib": r1.ru_maxrss / 2 ** 20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print("RESULT " + json.dumps(measure(args.iterations)))
        return
    for r in range(args.rounds):
        for name, env in VARIANTS.items():
            out = subprocess.run([sys.executable, __file__, "--worker", "--iterations", str(args.iterations)],
                                 env={**os.environ, "OMP_NUM_THREADS": "1", **env}, capture_output=True, text=True)
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
            if out.returncode or not lines:
                sys.exit(f"error: the {name} worker failed:\n{out.stderr[-2000:]}")
            res = json.loads(lines[-1][7:])
            print(f"round {r} {name:<14} user {res['user']:.2f} s  sys {res['sys']:.2f} s  "
                  f"minor faults {res['minflt']:.0f}  peak RSS {res['rss_gib']:.2f} GiB  "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()

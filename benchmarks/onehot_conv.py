"""One conv over a one-hot label map, dense vs `OneHotConv2d.lookup`, on the CPU.

    OMP_NUM_THREADS=1 python benchmarks/onehot_conv.py

SPADE's ADE20K ``mlp_shared`` at 256x256 (151 one-hot + 1 edge channel -> 128, 3x3) and
the patch discriminator's first conv (152 one-hot + 3 image channels -> 64, 4x4 stride 2):
forward, and forward + weight gradient; CPU time per call, median of ``--repeats``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from ganforge.condition import onehot
from ganforge.onehot_conv import OneHotConv2d

CASES = {"spade mlp_shared": (151, 1, 128, 3, 1, 1), "patch D first conv": (152, 3, 64, 4, 2, 2)}


def cpu_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    print(f"{'case':<22}{'dense fwd':>11}{'lookup fwd':>12}{'dense f+b':>11}{'lookup f+b':>12}  (ms CPU, 1 thread)")
    for name, (k, extra, out, ks, stride, pad) in CASES.items():
        conv = OneHotConv2d(k, k + extra, out, ks, stride=stride, padding=pad)
        ids = torch.randint(0, k, (1, args.size, args.size))
        dense_extra = torch.randn(1, extra, args.size, args.size)
        dense = torch.cat([onehot(ids, k), dense_extra], 1)
        grad = torch.randn_like(conv(dense))
        row = [cpu_ms(lambda: conv(dense), args.repeats), cpu_ms(lambda: conv.lookup(ids, dense_extra), args.repeats),
               cpu_ms(lambda: conv(dense).backward(grad), args.repeats),
               cpu_ms(lambda: conv.lookup(ids, dense_extra).backward(grad), args.repeats)]
        print(f"{name:<22}" + "".join(f"{v:>11.0f} " for v in row))


if __name__ == "__main__":
    main()

"""How many synthetic-world samples one CPU thread renders per second.

    python benchmarks/synthetic_world.py                  # 128x128, every modality
    python benchmarks/synthetic_world.py --resolution 256 --fields label instance

One DataLoader worker is one such thread, so ``workers x samples/s`` is the data rate a
run can draw. The thread limits are set here, before numpy and torch start their pools:
library code never sets them.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

from ganforge.data.synthetic import MODALITIES, SyntheticParams, SyntheticWorld  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, nargs="+", default=[128], help="H [W]")
    parser.add_argument("--samples", type=int, default=300, help="samples to time (after 10 warm-up ones)")
    parser.add_argument("--fields", nargs="*", default=list(MODALITIES), choices=MODALITIES)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    res = tuple(args.resolution) if len(args.resolution) == 2 else args.resolution[0]
    world = SyntheticWorld(SyntheticParams(resolution=res, seed=args.seed, fields=tuple(args.fields),
                                           length=args.samples + 10))
    for i in range(10):
        world[i]
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(10, 10 + args.samples):
        world[i]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    h, w = world.params.resolution
    print(f"synthetic world {h}x{w}, {len(args.fields)} modalities, 1 thread: "
          f"{args.samples / wall:.1f} samples/s ({1e3 * wall / args.samples:.2f} ms/sample wall, "
          f"{1e3 * cpu / args.samples:.2f} ms CPU)")


if __name__ == "__main__":
    main()

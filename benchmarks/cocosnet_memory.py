"""Peak memory of CoCosNet's correlation + warp at 256x256, full matrix vs chunked.

    python benchmarks/cocosnet_memory.py                 # ADE20K shapes, batch 1, forward + backward
    python benchmarks/cocosnet_memory.py --batch 2 --chunks 256 1024

The correspondence network compares 64x64 feature positions (256x256 images, 1/4) with
256-channel 3x3 neighbourhoods (2304 values per position), so the correlation matrix
is 4096 x 4096 per sample. Each variant runs in its own subprocess (allocator state
never leaks between them) and reports the peak resident set size (``ru_maxrss``) above
the process's RSS just before the correlation, i.e. what the correlation itself adds.
glibc's malloc runs with a fixed mmap threshold (``MALLOC_MMAP_THRESHOLD_``): with its
default dynamic threshold, freed blocks stay in the heap and RSS counts memory that is no
longer in use, which hides exactly the savings being measured.
Needs the CoCosNet plugin (``pip install -e plugins/cocosnet``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

FEATURES, CHANNELS = 64, 256 * 9  # 64x64 positions, 3x3 x 256-channel match features (official)
VALUES = 3 + 151  # the exemplar's colours and its ADE20K label map, warped together


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def measure(batch: int, chunk: int | None, backward: bool) -> dict:
    import torch

    from ganforge_cocosnet.correlation import match_features, warp

    torch.set_num_threads(1)
    torch.manual_seed(0)
    # the matched features are the leaves: the peak is the correlation's, not the adaptors'
    query = match_features(torch.randn(batch, 256, FEATURES, FEATURES), 3).requires_grad_(backward)
    key = match_features(torch.randn(batch, 256, FEATURES, FEATURES), 3).requires_grad_(backward)
    values = torch.randn(batch, FEATURES * FEATURES, VALUES, requires_grad=backward)
    base = rss_mib()
    start = time.perf_counter()
    with torch.set_grad_enabled(backward):
        out = warp(query, key, values, 0.01, chunk)
        if backward:
            out.square().sum().backward()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"chunk_size": chunk, "backward": backward, "peak_above_start_mib": round(peak - base, 1),
            "seconds": round(seconds, 2), "checksum": float(out.double().sum())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--chunks", type=int, nargs="*", default=[1024, 256, 64])
    parser.add_argument("--inference", action="store_true", help="forward only, no autograd")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)  # a variant, in the subprocess
    args = parser.parse_args()
    if args.one is not None:
        chunk = None if args.one == "full" else int(args.one)
        print(json.dumps(measure(args.batch, chunk, not args.inference)))
        return
    print(f"correlation {FEATURES * FEATURES} x {FEATURES * FEATURES} per sample, batch {args.batch}, "
          f"{'forward' if args.inference else 'forward + backward'}")
    print(f"{'variant':>12} {'peak MiB':>10} {'seconds':>8}  checksum")
    for variant in ["full", *map(str, args.chunks)]:
        cmd = [sys.executable, __file__, "--batch", str(args.batch), "--one", variant]
        cmd += ["--inference"] if args.inference else []
        env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072"}
        r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout)
        print(f"{variant:>12} {r['peak_above_start_mib']:>10.1f} {r['seconds']:>8.2f}  {r['checksum']:.6e}")


if __name__ == "__main__":
    main()

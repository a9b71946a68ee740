"""Fréchet distance between two 2048-d statistics: ganforge vs scipy's sqrtm vs torch-fidelity.

Side by side in one run, on the same statistics:

* ``scipy sqrtm``     — pytorch-fid's and clean-fid's ``scipy.linalg.sqrtm(S1 @ S2)``;
* ``numpy eigvals``   — torch-fidelity's ``sum sqrt(eigvals(S1 @ S2))``;
* ``ganforge``        — Cholesky of S1 + ``eigvalsh(L^T S2 L)``, factor computed each time;
* ``ganforge cached`` — the same with the reference's factor already cached (what
  evaluating against stored reference statistics costs).

Run: ``python benchmarks/metrics_fid.py [--dim 2048] [--repeats 3] [--samples 10000]``.
Prints one line per method: best wall time, speed-up over sqrtm, and the relative
difference of its value from sqrtm's.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.linalg
import torch

from ganforge.metrics import FeatureStatistics, GaussianStatistics, frechet_distance


def statistics(rng: np.random.Generator, dim: int, samples: int, shift: float) -> GaussianStatistics:
    """Mean and covariance of ``samples`` correlated, non-negative, Inception-like features."""
    mix = torch.from_numpy(rng.standard_normal((dim, dim)) / np.sqrt(dim))
    acc = FeatureStatistics(dim)
    for _ in range(0, samples, 2000):
        z = torch.from_numpy(rng.standard_normal((2000, dim)))
        acc.update(torch.relu(z @ mix + shift))
    return acc.gaussian()


def scipy_sqrtm(a: GaussianStatistics, b: GaussianStatistics) -> float:
    s1, s2 = a.sigma.numpy(), b.sigma.numpy()
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    diff = (a.mu - b.mu).numpy()
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def numpy_eigvals(a: GaussianStatistics, b: GaussianStatistics) -> float:
    s1, s2 = a.sigma.numpy(), b.sigma.numpy()
    tr_covmean = np.sum(np.sqrt(np.linalg.eigvals(s1 @ s2).astype("complex128")).real)
    diff = (a.mu - b.mu).numpy()
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * tr_covmean)


def ganforge_fresh(a: GaussianStatistics, b: GaussianStatistics) -> float:
    return frechet_distance(GaussianStatistics(a.mu, a.sigma), b)


def ganforge_cached(a: GaussianStatistics, b: GaussianStatistics) -> float:
    return frechet_distance(a, b)


def best_time(fn, a, b, repeats: int) -> tuple[float, float]:
    times, value = [], 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        value = fn(a, b)
        times.append(time.perf_counter() - t)
    return min(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    real, fake = statistics(rng, args.dim, args.samples, 0.0), statistics(rng, args.dim, args.samples, 0.1)
    real.factor  # noqa: B018 - cache the reference factor for the "cached" row
    print(f"dim {args.dim}, {args.samples} samples per set, torch threads {torch.get_num_threads()}, "
          f"best of {args.repeats}")
    rows = [("scipy sqrtm (pytorch-fid, clean-fid)", scipy_sqrtm), ("numpy eigvals (torch-fidelity)", numpy_eigvals),
            ("ganforge", ganforge_fresh), ("ganforge, cached reference factor", ganforge_cached)]
    base_t, base_v = None, None
    for name, fn in rows:
        t, v = best_time(fn, real, fake, args.repeats)
        base_t, base_v = (t, v) if base_t is None else (base_t, base_v)
        print(f"{name:38s} {t:8.3f} s  x{base_t / t:6.1f}  FID {v:.10f}  rel diff {abs(v - base_v) / abs(base_v):.1e}")


if __name__ == "__main__":
    main()

"""The Fréchet distance between two Gaussians, in float64, by a symmetric method.

    d^2 = |mu1 - mu2|^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2)        (Heusel et al. 2017, eq. 6)

pytorch-fid and clean-fid take ``scipy.linalg.sqrtm(S1 @ S2)``: a Schur decomposition of
a *non-symmetric* product, slow, and complex-valued when rounding pushes it off the
positive cone. Here ``S1 = F F^T`` (Cholesky; a pivoted Cholesky that drops the
numerically null directions when S1 is singular), and ``F^T S2 F`` is symmetric positive
semi-definite with the nonzero eigenvalues of ``S1 S2``, so ``tr sqrt(S1 S2) =
sum_i sqrt(max(lambda_i, 0))`` comes from one ``eigvalsh``. The factor of a reference
covariance is computed once and reused.

Statistics are accumulated streaming as n, sum x and sum x x^T in float64 (float32 sums
give wrong FIDs), and summed across DDP ranks: no features are gathered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .distributed import all_reduce_sum

ArrayLike = np.ndarray | torch.Tensor


def _f64(x: ArrayLike) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x).detach().to(
        "cpu", torch.float64)


def covariance_factor(sigma: ArrayLike) -> torch.Tensor:
    """F with ``F F^T = sigma``: the Cholesky factor (D, D), or for a singular sigma (fewer
    samples than dimensions, dead features) the (D, r) factor of a pivoted Cholesky."""
    s = _f64(sigma)
    s = (s + s.T) / 2
    chol, info = torch.linalg.cholesky_ex(s)
    return chol if int(info) == 0 else pivoted_cholesky(s)


def pivoted_cholesky(s: torch.Tensor) -> torch.Tensor:
    """Diagonally pivoted Cholesky of a positive semi-definite matrix, stopped when the
    largest remaining diagonal is below LAPACK ``pstrf``'s default tolerance
    ``D * eps * max(diag)``: a (D, r) factor in O(D r^2), r the numerical rank.

    What it drops is the positive semi-definite remainder below the tolerance, i.e. the
    clamping of negligible and rounding-negative eigenvalues that an ``eigh`` fallback
    would do, without the O(D^3) eigendecomposition.
    """
    n = s.shape[0]
    tol = n * torch.finfo(s.dtype).eps * float(s.diagonal().max().clamp_min(0))
    remaining = s.diagonal().clone()
    factor = torch.zeros(n, n, dtype=s.dtype)
    rank = 0
    while rank < n:
        p = int(remaining.argmax())
        if remaining[p] <= tol:
            break
        col = s[:, p] - factor[:, :rank] @ factor[p, :rank]
        col /= col[p].clamp_min(remaining[p]).sqrt()  # fresh pivot; the running one guards rounding
        factor[:, rank] = col
        remaining -= col ** 2
        remaining[p] = -torch.inf  # never chosen again
        rank += 1
    return factor[:, :rank]


def trace_sqrt_product(factor1: torch.Tensor, sigma2: ArrayLike) -> float:
    """``tr sqrt(S1 S2)`` given ``F1`` (``F1 F1^T = S1``): eigenvalues of ``F1^T S2 F1``."""
    m = factor1.T @ _f64(sigma2) @ factor1
    eig = torch.linalg.eigvalsh((m + m.T) / 2)
    return float(eig.clamp_min(0).sqrt().sum())


@dataclass
class GaussianStatistics:
    """Mean and covariance of a feature set; ``factor`` (of sigma) is computed on first use."""

    mu: torch.Tensor
    sigma: torch.Tensor
    n: int = 0
    _factor: torch.Tensor | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.mu, self.sigma = _f64(self.mu), _f64(self.sigma)
        if self.mu.ndim != 1 or self.sigma.shape != (self.mu.numel(), self.mu.numel()):
            raise ValueError(f"statistics need mu of shape (D,) and sigma (D, D); got {tuple(self.mu.shape)} "
                             f"and {tuple(self.sigma.shape)}")

    @property
    def factor(self) -> torch.Tensor:
        if self._factor is None:
            self._factor = covariance_factor(self.sigma)
        return self._factor


def frechet_distance(a: GaussianStatistics, b: GaussianStatistics) -> float:
    """The squared Fréchet distance (what the papers call FID) between two Gaussians.

    ``a``'s covariance is the one factorised (and cached): pass the reference first."""
    if a.mu.shape != b.mu.shape:
        raise ValueError(f"feature dimensions differ: {a.mu.numel()} vs {b.mu.numel()}")
    diff = a.mu - b.mu
    tr_covmean = trace_sqrt_product(a.factor, b.sigma)
    return float(diff @ diff) + float(a.sigma.trace() + b.sigma.trace()) - 2.0 * tr_covmean


class FeatureStatistics:
    """Streaming n, sum x, sum x x^T of D-dim features in float64.

    ``update`` adds a batch on the features' device; ``merge`` adds another accumulator;
    ``all_reduce`` sums every DDP rank's accumulator (the exact statistics of the union).
    """

    def __init__(self, dim: int, device: torch.device | str = "cpu"):
        self.dim = dim
        self.n = 0
        self.sum = torch.zeros(dim, dtype=torch.float64, device=device)
        self.sum_outer = torch.zeros(dim, dim, dtype=torch.float64, device=device)

    def update(self, features: torch.Tensor) -> None:
        if features.ndim != 2 or features.shape[1] != self.dim:
            raise ValueError(f"expected features of shape (N, {self.dim}), got {tuple(features.shape)}")
        x = features.detach().to(self.sum.device, torch.float64)
        self.n += x.shape[0]
        self.sum += x.sum(0)
        self.sum_outer += x.T @ x

    def merge(self, other: "FeatureStatistics") -> None:
        if other.dim != self.dim:
            raise ValueError(f"cannot merge statistics of dimension {other.dim} into {self.dim}")
        self.n += other.n
        self.sum += other.sum.to(self.sum.device)
        self.sum_outer += other.sum_outer.to(self.sum.device)

    def all_reduced(self) -> "FeatureStatistics":
        """The statistics summed over all ranks (self unchanged; a copy when not distributed)."""
        out = FeatureStatistics(self.dim, self.sum.device)
        n = torch.tensor([float(self.n)], dtype=torch.float64, device=self.sum.device)
        n, out.sum, out.sum_outer = all_reduce_sum(n, self.sum, self.sum_outer)
        out.n = int(n.item())
        if out.sum is self.sum:
            out.sum, out.sum_outer = self.sum.clone(), self.sum_outer.clone()
        return out

    def gaussian(self) -> GaussianStatistics:
        """Mean and unbiased covariance (``np.cov``'s n - 1), as every FID library uses."""
        if self.n < 2:
            raise ValueError(f"a covariance needs at least 2 samples, got {self.n}")
        mu = self.sum / self.n
        sigma = (self.sum_outer - self.n * torch.outer(mu, mu)) / (self.n - 1)
        return GaussianStatistics(mu, sigma, n=self.n)

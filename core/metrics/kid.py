"""Kernel Inception Distance (Bińkowski et al., ICLR 2018): the unbiased MMD^2 estimate
between Inception features with the cubic polynomial kernel, averaged over subsets.

Subsets are drawn exactly as torch-fidelity draws them (one ``numpy.random.RandomState``
seeded 2020; per subset, ``choice`` without replacement from the first set, then the
second), so equal features give equal numbers. Kernels are evaluated in float32 (as
torch-fidelity does); their sums are taken in float64, where MMD^2 is a small difference
of large sums.
"""

from __future__ import annotations

import numpy as np
import torch
from pydantic import Field

from .base import InceptionMetric, warn_if_few_samples
from .distributed import all_gather_rows
from .features import InceptionParams


def polynomial_kernel(x: torch.Tensor, y: torch.Tensor, degree: int, gamma: float, coef0: float) -> torch.Tensor:
    """k(x, y) = (gamma x.y + coef0)^degree, in the features' precision."""
    return (x @ y.T * gamma + coef0) ** degree


def mmd2_unbiased(k_xx: torch.Tensor, k_yy: torch.Tensor, k_xy: torch.Tensor) -> float:
    """Unbiased MMD^2: off-diagonal means of K_XX and K_YY minus twice the mean of K_XY."""
    m = k_xx.shape[0]
    k_xx, k_yy, k_xy = k_xx.double(), k_yy.double(), k_xy.double()
    off_xx = k_xx.sum() - k_xx.diagonal().sum()
    off_yy = k_yy.sum() - k_yy.diagonal().sum()
    return float((off_xx + off_yy) / (m * (m - 1)) - 2 * k_xy.sum() / (m * m))


def kernel_inception_distance(f1: torch.Tensor, f2: torch.Tensor, subsets: int = 100, subset_size: int = 1000,
                              degree: int = 3, gamma: float | None = None, coef0: float = 1.0,
                              seed: int = 2020) -> tuple[float, float]:
    """Mean and standard deviation (numpy's, ddof 0) of MMD^2 over ``subsets`` subsets."""
    n1, n2 = len(f1), len(f2)
    if min(n1, n2) < subset_size:
        raise ValueError(f"metric 'kid': subset_size {subset_size} exceeds the number of samples "
                         f"(fake: {n1}, real: {n2}); evaluate more images or lower `subset_size`")
    gamma = 1.0 / f1.shape[1] if gamma is None else gamma
    f1, f2 = f1.float(), f2.float()
    rng = np.random.RandomState(seed)
    mmds = np.empty(subsets)
    for i in range(subsets):
        x = f1[torch.from_numpy(rng.choice(n1, subset_size, replace=False))]
        y = f2[torch.from_numpy(rng.choice(n2, subset_size, replace=False))]
        mmds[i] = mmd2_unbiased(polynomial_kernel(x, x, degree, gamma, coef0),
                                polynomial_kernel(y, y, degree, gamma, coef0),
                                polynomial_kernel(x, y, degree, gamma, coef0))
    return float(mmds.mean()), float(mmds.std())


class KIDParams(InceptionParams):
    subsets: int = Field(100, ge=1, description="number of random subsets (torch-fidelity's kid_subsets)")
    subset_size: int = Field(1000, ge=2, description="samples per subset (torch-fidelity's kid_subset_size)")
    degree: int = Field(3, ge=1, description="polynomial kernel degree d")
    gamma: float | None = Field(None, description="kernel scale; None means 1 / feature dimension")
    coef0: float = Field(1.0, description="kernel offset c in (gamma x.y + c)^d")
    seed: int = Field(2020, description="seed of the subset draws (torch-fidelity's rng_seed)")


class KID(InceptionMetric):
    """Kernel Inception Distance on the 2048-d pool features; reports mean and std over subsets
    (``kid_std``: torch-fidelity's spread over random subsets, KID's own resampling estimate)."""

    Params = KIDParams

    def reset(self) -> None:
        self.feats: dict[str, list[torch.Tensor]] = {"fake": [], "real": []}

    def add(self, features: dict[str, torch.Tensor], which: str) -> None:
        self.feats[which].append(features["pool"].cpu())

    def compute(self) -> dict[str, float]:
        if not self.feats["fake"] or not self.feats["real"]:
            raise ValueError("metric 'kid' needs both generated and real images; got "
                             f"{len(self.feats['fake'])} fake and {len(self.feats['real'])} real batches")
        f1, f2 = (all_gather_rows(torch.cat(self.feats[k])) for k in ("fake", "real"))
        warn_if_few_samples("kid", self.features.dim, fake=len(f1), real=len(f2))
        p = self.params
        mean, std = kernel_inception_distance(f1, f2, p.subsets, p.subset_size, p.degree, p.gamma, p.coef0, p.seed)
        return {"kid": mean, "kid_std": std}

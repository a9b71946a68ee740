"""Inception Score (Salimans et al., NeurIPS 2016): exp E_x KL(p(y|x) || p(y)), per split.

As torch-fidelity (and TTUR's TF code) compute it: the 1008 logits without the bias,
samples shuffled by ``RandomState(2020).permutation``, softmax in float64, ``splits``
contiguous chunks, mean and standard deviation of the per-chunk scores.
"""

from __future__ import annotations

import numpy as np
import torch
from pydantic import Field

from .base import InceptionMetric
from .distributed import all_gather_rows
from .features import InceptionParams


def inception_score(logits: torch.Tensor, splits: int = 10, shuffle: bool = True,
                    seed: int = 2020) -> tuple[float, float]:
    """Mean and standard deviation of the Inception Score over ``splits`` chunks."""
    n = len(logits)
    if n < splits:
        raise ValueError(f"metric 'is': {n} samples cannot make {splits} splits")
    if shuffle:
        logits = logits[torch.from_numpy(np.random.RandomState(seed).permutation(n))]
    logits = logits.double()
    p, log_p = logits.softmax(1), logits.log_softmax(1)
    scores = []
    for i in range(splits):
        chunk = slice(i * n // splits, (i + 1) * n // splits)
        p_y = p[chunk].mean(0, keepdim=True)
        kl = (p[chunk] * (log_p[chunk] - p_y.log())).sum(1).mean()
        scores.append(float(kl.exp()))
    return float(np.mean(scores)), float(np.std(scores))


class ISParams(InceptionParams):
    splits: int = Field(10, ge=1, description="number of chunks the score is averaged over")
    shuffle: bool = Field(True, description="shuffle samples before splitting (torch-fidelity's default)")
    seed: int = Field(2020, description="seed of the shuffle")


class InceptionScore(InceptionMetric):
    """Inception Score of generated images (real images are not used)."""

    Params = ISParams

    @property
    def uses_real(self) -> bool:
        return False

    def reset(self) -> None:
        self.logits: list[torch.Tensor] = []

    def add(self, features: dict[str, torch.Tensor], which: str) -> None:
        self.logits.append(features["logits_unbiased"].cpu())

    def compute(self) -> dict[str, float]:
        if not self.logits:
            raise ValueError("metric 'is': no generated images were given to update()")
        p = self.params
        mean, std = inception_score(all_gather_rows(torch.cat(self.logits)), p.splits, p.shuffle, p.seed)
        return {"is": mean, "is_std": std}

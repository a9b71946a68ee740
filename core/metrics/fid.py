"""Fréchet Inception Distance (Heusel et al., NeurIPS 2017)."""

from __future__ import annotations

import torch
from pydantic import Field

from ganforge.errors import ConfigError
from ganforge.interfaces import DataInfo

from .base import InceptionMetric, warn_if_few_samples
from .distributed import all_gather_rows
from .features import InceptionParams
from .frechet import FeatureStatistics, GaussianStatistics, frechet_distance
from .reference import load_statistics


class FIDParams(InceptionParams):
    reference: str | None = Field(None, description="an .npz of reference statistics (mu, sigma: pytorch-fid's "
                                  "--save-stats format or ganforge's cache); real batches are then ignored")
    bootstrap: int = Field(10, ge=0, description="resamples (with replacement) of the generated features for "
                           "fid_std, the bootstrap standard deviation of the FID; 0: no fid_std and no features "
                           "kept (only the streaming statistics)")
    bootstrap_seed: int = Field(0, description="seed of the bootstrap resampling")


class FID(InceptionMetric):
    """Fréchet distance between Gaussians fitted to the pool features (2048-d Inception, or
    the synthetic network's) of generated and real images, from streaming float64
    statistics summed over DDP ranks."""

    Params = FIDParams

    def __init__(self, params: FIDParams, data: DataInfo):
        self._reference = load_statistics(params.reference) if params.reference else None
        super().__init__(params, data)
        if self._reference is not None and self._reference.mu.numel() != self.features.dim:
            raise ConfigError(f"metric 'fid': reference statistics {params.reference!r} are "
                              f"{self._reference.mu.numel()}-d but network {params.network!r} gives "
                              f"{self.features.dim}-d features: compute them with the same network")

    @property
    def uses_real(self) -> bool:
        return self._reference is None

    def reset(self) -> None:
        dim = self.features.dim
        self.stats = {"fake": FeatureStatistics(dim), "real": FeatureStatistics(dim)}
        self.fake_rows: list[torch.Tensor] = []

    def add(self, features: dict[str, torch.Tensor], which: str) -> None:
        self.stats[which].update(features["pool"])
        if which == "fake" and self.params.bootstrap:
            self.fake_rows.append(features["pool"].detach().float().cpu())

    def compute(self) -> dict[str, float]:
        fake_stats = self.stats["fake"].all_reduced()
        fake = fake_stats.gaussian()
        if self._reference is not None:
            real: GaussianStatistics = self._reference
            warn_if_few_samples("fid", self.features.dim, fake=fake_stats.n)
        else:
            stats = self.stats["real"].all_reduced()
            if stats.n == 0:
                raise ValueError("metric 'fid': no real images were given to update() and no `reference` "
                                 "statistics are set")
            real = stats.gaussian()
            warn_if_few_samples("fid", self.features.dim, fake=fake_stats.n, real=stats.n)
        out = {"fid": frechet_distance(real, fake)}
        if self.params.bootstrap:
            out["fid_std"] = self._bootstrap_std(real)
        return out

    def _bootstrap_std(self, real: GaussianStatistics) -> float:
        """Standard deviation (ddof 1) of the FID over resamples of the generated features
        drawn with replacement, the real side fixed: how much the number moves with the
        particular generated images drawn."""
        rows = all_gather_rows(torch.cat(self.fake_rows))
        gen = torch.Generator().manual_seed(self.params.bootstrap_seed)
        values = []
        for _ in range(self.params.bootstrap):
            stats = FeatureStatistics(self.features.dim)
            stats.update(rows[torch.randint(len(rows), (len(rows),), generator=gen)])
            values.append(frechet_distance(real, stats.gaussian()))
        return float(torch.tensor(values, dtype=torch.float64).std()) if len(values) > 1 else 0.0

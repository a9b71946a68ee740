"""Fréchet Inception Distance (Heusel et al., NeurIPS 2017)."""

from __future__ import annotations

import torch
from pydantic import Field

from ganforge.errors import ConfigError
from ganforge.interfaces import DataInfo

from .base import InceptionMetric
from .features import InceptionParams
from .frechet import FeatureStatistics, GaussianStatistics, frechet_distance
from .reference import load_statistics


class FIDParams(InceptionParams):
    reference: str | None = Field(None, description="an .npz of reference statistics (mu, sigma: pytorch-fid's "
                                  "--save-stats format or ganforge's cache); real batches are then ignored")


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

    def add(self, features: dict[str, torch.Tensor], which: str) -> None:
        self.stats[which].update(features["pool"])

    def compute(self) -> dict[str, float]:
        fake = self.stats["fake"].all_reduced().gaussian()
        if self._reference is not None:
            real: GaussianStatistics = self._reference
        else:
            stats = self.stats["real"].all_reduced()
            if stats.n == 0:
                raise ValueError("metric 'fid': no real images were given to update() and no `reference` "
                                 "statistics are set")
            real = stats.gaussian()
        return {"fid": frechet_distance(real, fake)}

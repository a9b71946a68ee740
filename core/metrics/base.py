"""The base of metrics that read a feature network: the FID Inception or the synthetic one."""

from __future__ import annotations

import warnings

import torch

from ganforge.condition import Condition
from ganforge.errors import GanforgeWarning
from ganforge.interfaces import DataInfo, Metric

from .features import FeatureExtractor, InceptionParams, shared_features


class SampleSizeWarning(GanforgeWarning):
    """A distance computed from fewer samples than feature dimensions: its covariance is
    singular and the number is dominated by the sample count, not by the images."""


def warn_if_few_samples(metric: str, dim: int, **counts: int) -> None:
    """Warn (`SampleSizeWarning`) when any of ``counts`` (fake=..., real=...) is below ``dim``."""
    few = {k: n for k, n in counts.items() if n < dim}
    if few:
        said = ", ".join(f"{n} {k}" for k, n in few.items())
        warnings.warn(f"metric {metric!r}: {said} samples for {dim}-d features; below the feature "
                      "dimension the number mostly measures the sample count (evaluate more batches)",
                      SampleSizeWarning, stacklevel=3)


class InceptionMetric(Metric):
    """Builds (or reuses) the shared extractor at construction, so missing weights fail
    before any evaluation, and feeds ``update`` batches to `add`."""

    Params = InceptionParams

    def __init__(self, params: InceptionParams, data: DataInfo):
        super().__init__(params, data)
        self.features: FeatureExtractor = shared_features(params)
        self.reset()

    def update(self, fake: torch.Tensor, real: torch.Tensor | None = None, cond: Condition | None = None) -> None:
        self.add(self.features(fake), "fake")
        if real is not None and self.uses_real:
            self.add(self.features(real), "real")

    @property
    def uses_real(self) -> bool:
        """Whether ``real`` batches contribute (False for IS, or FID against stored statistics)."""
        return True

    def add(self, features: dict[str, torch.Tensor], which: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

"""The generator's default normalizer: batch normalisation (BigGAN / SAGAN generators)."""

from __future__ import annotations

import torch
from torch import nn

import ganforge
from ganforge import Condition, DataInfo


class BatchNormalizer(ganforge.Normalizer):
    """Unconditional ``BatchNorm2d`` with a learned affine; reads nothing from the Condition.

    The Semantic Pyramid generator is conditioned through its masked classifier features,
    not through its normalization, so the default is plain batch norm; the slot lets a
    SPADE or AdaIN normalizer add a second conditioning path."""

    def __init__(self, params: ganforge.NoParams, data: DataInfo, num_features: int):
        super().__init__(params, data, num_features)
        self.norm = nn.BatchNorm2d(num_features)

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        return self.norm(x)

"""The core's upsampler: nearest-neighbour 2x, the default of every generator's
``upsample`` slot (SPADE, SEAN) — what the papers use unless they say otherwise."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .condition import Condition
from .interfaces import Upsampler


class NearestUpsampler(Upsampler):
    """2x nearest-neighbour upsampling; no parameters, reads nothing from the condition."""

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        return F.interpolate(x, scale_factor=2, mode="nearest")


def register_components(register) -> None:
    register("upsampler", "nearest", NearestUpsampler)

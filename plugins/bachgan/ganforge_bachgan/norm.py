"""SPADE over BachGAN's fused layout: the official generator feeds its SPADE layers the
fused map F (soft, one channel per class) where SPADE feeds the one-hot label map.

``fused_spade`` is SPADE's layer from ``ganforge_spade`` unchanged (same parameters and
state_dict keys, Eq. 1 of Park et al.) whose modulation reads the condition field
``layout`` instead of one-hot-encoding ``label``. Only a generator that fuses layouts
writes ``layout`` into the condition it gives its blocks, so the layer asks nothing of the
data. Normalizers that read ``label`` (``spade``, ``sean``) also work inside the BachGAN
generator: it gives them the arg-max of F, the hallucinated segmentation.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
from pydantic import Field

import ganforge
from ganforge import Condition, DataInfo
from ganforge_spade.norm import SPADE, SPADEParams


class FusedSPADEParams(SPADEParams):
    use_instance: Literal[False] = Field(False, description="the fused layout has no instance-edge channel")


class FusedSPADE(SPADE):
    """SPADE whose scale and bias come from the soft fused layout F (condition field 'layout')."""

    Params: ClassVar = FusedSPADEParams

    @classmethod
    def requirements(cls, params: FusedSPADEParams, data: DataInfo) -> frozenset[str]:
        return frozenset()  # 'layout' is written by the enclosing generator, never read from the data

    def modulation(self, x: torch.Tensor, cond: Condition) -> tuple[torch.Tensor, torch.Tensor]:
        if "layout" not in cond:
            raise ganforge.ConditionMismatch(
                "normalizer 'fused_spade' reads the fused layout (condition field 'layout') that the BachGAN "
                f"generator passes its blocks; this condition has only {', '.join(sorted(cond))}")
        layout = cond["layout"]
        expected = self.mlp_shared[0].in_channels
        if layout.shape[1] != expected:
            raise ganforge.DataError(f"normalizer 'fused_spade': 'layout' has {layout.shape[1]} channels, "
                                     f"expected {expected} (label_nc + don't care)")
        m = Condition(layout=layout).resized(tuple(x.shape[-2:]))["layout"]
        actv = self.mlp_shared(m.to(x.dtype))
        return self.mlp_gamma(actv), self.mlp_beta(actv)

"""SPADE with panoptic-aware convolutions: the paper replaces the convolutions of the
generator by panoptic-aware ones, and the three convolutions inside each SPADE layer are
convolutions of the generator too.

The layers (``mlp_shared``, ``mlp_gamma``, ``mlp_beta``) and their parameters are SPADE's
own; only how they are applied changes. On the one-hot semantic map a plain convolution
gives two touching instances of one class the same gamma and beta up to their common
boundary; the panoptic-aware one re-weights each window to its own instance, so the
modulation itself marks where one instance ends and the next begins.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field

from ganforge import Condition, DataInfo
from ganforge_spade import semantic
from ganforge_spade.norm import SPADE, SPADEParams

from . import segments
from .conv import panoptic_conv2d


# The panoptic map replaces SPADE's instance boundary map (the paper's Fig. 1: others "rely
# on semantic and boundary label maps", this model "uses panoptic maps"): edges off by default.
INSTANCE_DOC = (f"{semantic.USE_INSTANCE_DOC}. Default false: the panoptic map replaces the boundary map "
                "in Panoptic-based synthesis")


class PanopticSPADEParams(SPADEParams):
    use_instance: bool | None = Field(False, description=INSTANCE_DOC)


class PanopticSPADE(SPADE):
    """SPADE (Eq. 1 of Park et al.) whose gamma/beta convolutions are panoptic-aware."""

    Params: ClassVar = PanopticSPADEParams
    requires = frozenset({"label", "panoptic"})

    @classmethod
    def requirements(cls, params: PanopticSPADEParams, data: DataInfo) -> frozenset[str]:
        return semantic.requirements(params.use_instance, data) | segments.requirements(data)

    def modulation(self, x: torch.Tensor, cond: Condition) -> tuple[torch.Tensor, torch.Tensor]:
        size = tuple(x.shape[-2:])
        m = semantic.semantic_map(cond, self.data, self.params.use_instance, size=size).to(x.dtype)
        ids = segments.segment_ids(cond, self.data, size)
        shared = self.mlp_shared[0]
        actv = F.relu(panoptic_conv2d(m, ids, shared.weight, shared.bias))
        return (panoptic_conv2d(actv, ids, self.mlp_gamma.weight, self.mlp_gamma.bias),
                panoptic_conv2d(actv, ids, self.mlp_beta.weight, self.mlp_beta.bias))

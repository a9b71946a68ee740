"""Panoptic-aware upsampling (Dundar et al. 2020, Sec. 3.2).

Nearest-neighbour 2x upsampling copies every low-resolution feature into its 2x2 block.
Where the high-resolution panoptic map puts another segment into that block, the copied
feature belongs to the wrong instance. The panoptic-aware upsampling

1. **corrects the alignment**: a high-resolution pixel takes the feature of the nearest
   low-resolution pixel *of its own segment* — its own block first (what nearest
   neighbour gives), then the neighbour beside it, below it, diagonal to it, in the
   direction of the pixel inside its block (the low-resolution pixels nearest to it);
2. **fills the holes**: a pixel whose segment has none of those neighbours (an instance or
   class that appears only at this resolution) gets a feature encoded from the semantic
   map by a panoptic-aware convolution.

The low-resolution segment map is the high-resolution one halved (top-left of each 2x2
block, `segments.resize_ids`), as the generator's features are.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field

import ganforge
from ganforge import Condition, DataInfo
from ganforge_spade import semantic
from ganforge_spade.layers import InitParams

from . import segments
from .conv import panoptic_conv

# Low-resolution neighbours (dy, dx) tried after the pixel's own block, in order; each
# applies to the pixels of a block that lie towards it (odd row if dy, odd column if dx).
NEIGHBOURS = ((0, 1), (1, 0), (1, 1))


def _up(t: torch.Tensor) -> torch.Tensor:
    """2x nearest neighbour of a (B, C, h, w) or (B, h, w) tensor (exact for ids)."""
    return t.repeat_interleave(2, -2).repeat_interleave(2, -1)


def _shift(t: torch.Tensor, dy: int, dx: int, fill: float | int) -> torch.Tensor:
    """t[..., i + dy, j + dx], ``fill`` beyond the bottom/right border."""
    return F.pad(t[..., dy:, dx:], (0, dx, 0, dy), value=fill)


def align(x: torch.Tensor, coarse: torch.Tensor, fine: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Step 1: (features (B, C, 2h, 2w), found (B, 1, 2h, 2w) bool).

    ``coarse`` (B, h, w) and ``fine`` (B, 2h, 2w) are segment ids at x's and the output's
    resolution; ``found`` is False at the holes, whose features are left as nearest gives them.
    """
    out, found = _up(x), _up(coarse) == fine
    rows = torch.arange(fine.shape[-2], device=fine.device) % 2 == 1
    cols = torch.arange(fine.shape[-1], device=fine.device) % 2 == 1
    for dy, dx in NEIGHBOURS:
        towards = (rows[:, None] if dy else True) & (cols[None, :] if dx else True)
        # ids are compared only where the neighbour exists (``inside``), so any id value is allowed
        inside = _up(_shift(torch.ones_like(coarse, dtype=torch.bool), dy, dx, False))
        take = towards & ~found & inside & (_up(_shift(coarse, dy, dx, 0)) == fine)
        out = torch.where(take.unsqueeze(1), _up(_shift(x, dy, dx, 0.0)), out)
        found = found | take
    return out, found.unsqueeze(1)


class PanopticUpsampleParams(InitParams):
    use_instance: bool = Field(False, description="add SPADE's instance boundary map to the semantic map the holes "
                                                  "are encoded from (the panoptic map already separates instances)")
    kernel_size: int = Field(3, ge=1, description="kernel of the panoptic-aware conv that encodes the holes (odd)")
    spectral_norm: bool = Field(False, description="spectral norm on that conv (SPADE has none on the convs that "
                                                   "read the semantic map)")


class PanopticUpsample(ganforge.Upsampler):
    """2x upsampling that copies features only within a panoptic segment and encodes
    segments that appear at the new resolution from the semantic map."""

    Params: ClassVar = PanopticUpsampleParams
    requires = frozenset({"label", "panoptic"})

    def __init__(self, params: PanopticUpsampleParams, data: DataInfo, num_features: int):
        super().__init__(params, data, num_features)
        if params.kernel_size % 2 == 0:
            raise ganforge.ConfigError(
                f"upsampler 'panoptic_upsample': kernel_size must be odd, got {params.kernel_size}")
        self.encode = panoptic_conv(semantic.semantic_nc(data, params.use_instance), num_features, params.kernel_size,
                                    spectral=params.spectral_norm, init=params)

    @classmethod
    def requirements(cls, params: PanopticUpsampleParams, data: DataInfo) -> frozenset[str]:
        return semantic.requirements(params.use_instance, data) | segments.requirements(data)

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        h, w = x.shape[-2:]
        fine = segments.segment_ids(cond, self.data, (2 * h, 2 * w))
        aligned, found = align(x, segments.resize_ids(fine, (h, w)), fine)
        seg_map = semantic.semantic_map(cond, self.data, self.params.use_instance, size=(2 * h, 2 * w))
        # encoded everywhere, used at the holes: every parameter gets a gradient (DDP) whatever the layout
        new = self.encode(seg_map.to(x.dtype), fine)
        return torch.where(found, aligned, new)

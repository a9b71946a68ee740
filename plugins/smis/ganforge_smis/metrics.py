"""SMIS's metrics of semantic-level multi-modality (Zhu et al. 2020, Sec. 4.1): mCSD and mOCD.

For an input label map and a class c, generate N images that differ only in class c's
code, and compare them pairwise with LPIPS restricted to a region of the image (the
spatial LPIPS map averaged over the region's pixels):

* mCSD, mean class-specific diversity — the region of class c: how much resampling a
  class's code changes that class (higher is better);
* mOCD, mean other-classes diversity — everything outside class c: how much the *other*
  classes change with it (lower is better; 0 for perfectly disentangled codes).

Both average over pairs, then over every (image, class) group given to ``update``.
``update(fake, cond=cond)`` takes ``fake`` (B, N, C, H, W) — N outputs for each of B
groups — and ``cond["mask"]`` (B, 1, H, W), the region of each group's resampled class;
a 4-D ``fake`` (N, C, H, W) is one group whose class region is ``cond["mask"][0]``.
`ganforge_smis.apps.semantic_diversity` produces these groups from a generator.
"""

from __future__ import annotations

from typing import ClassVar

import torch

from ganforge import Condition, DataInfo, Metric
from ganforge.metrics import LPIPSNetwork, LPIPSParams
from ganforge.metrics.distributed import all_reduce_sum


class ClassDiversity(Metric):
    """Mean pairwise spatial LPIPS inside (mCSD) or outside (mOCD) the resampled class."""

    Params: ClassVar = LPIPSParams
    requires = frozenset({"mask"})
    name: ClassVar[str] = ""
    inside: ClassVar[bool] = True

    def __init__(self, params: LPIPSParams, data: DataInfo):
        super().__init__(params, data)
        self.lpips = LPIPSNetwork(params.net, params.backbone_weights, params.lin_weights)
        self.reset()

    def reset(self) -> None:
        self.total = torch.zeros((), dtype=torch.float64)
        self.count = torch.zeros((), dtype=torch.float64)

    @torch.no_grad()
    def update(self, fake: torch.Tensor, real: torch.Tensor | None = None, cond: Condition | None = None) -> None:
        if fake.ndim == 4:
            fake, mask = fake[None], (cond["mask"][:1] if cond is not None and "mask" in cond else None)
        else:
            mask = cond["mask"] if cond is not None and "mask" in cond else None
        if fake.ndim != 5 or fake.shape[1] < 2 or mask is None or mask.shape[0] != fake.shape[0]:
            raise ValueError(
                f"metric {self.name!r} needs fake (B, N >= 2, C, H, W) — N outputs differing only in one class's "
                f"code — and cond['mask'] (B, 1, H, W) marking that class; got fake {tuple(fake.shape)} and "
                f"mask {None if mask is None else tuple(mask.shape)} (ganforge_smis.apps.semantic_diversity makes them)")
        region = (mask > 0.5) if self.inside else (mask <= 0.5)
        region = region.to(fake.dtype)
        area = region.sum((1, 2, 3))
        n = fake.shape[1]
        feats = [self.lpips.layers(fake[:, a]) for a in range(n)]
        size = tuple(fake.shape[-2:])
        pairs = [self.lpips.distance(feats[a], feats[b], size) for a in range(n) for b in range(a + 1, n)]
        per_pair = torch.stack([(d * region).sum((1, 2, 3)) for d in pairs], 1) / area.clamp(min=1)[:, None]
        keep = area > 0  # a class covering the whole image has no "other classes" to score
        self.total += per_pair.mean(1)[keep].double().sum().cpu()
        self.count += int(keep.sum())

    def compute(self) -> dict[str, float]:
        total, count = all_reduce_sum(self.total, self.count)
        if count == 0:
            raise ValueError(f"metric {self.name!r}: no group with a non-empty region was given to update()")
        return {self.name: float(total / count)}


class MCSD(ClassDiversity):
    """mCSD: mean LPIPS inside the resampled class between outputs differing in its code (higher is better)."""

    name = "mcsd"
    inside = True


class MOCD(ClassDiversity):
    """mOCD: mean LPIPS outside the resampled class between outputs differing in its code (lower is better)."""

    name = "mocd"
    inside = False

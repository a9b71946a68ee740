"""Instance-boundary contrast: how clearly an image separates touching instances of one class.

The paper's failure case (its Fig. 1) is two instances of one class that touch — two
zebras — rendered as one continuous pattern. Where that happens, the colour changes no
more across the boundary between the two instances than it does inside either of them.
So we measure, over pairs of 4-neighbouring pixels,

    E_b = mean ||I(p) - I(q)||^2 over pairs on a boundary between two touching instances
          of the same class (same label, different panoptic id),
    E_i = mean ||I(p) - I(q)||^2 over pairs inside one of those instances,
    IBC = E_b / E_i.

IBC = 1: the boundary is invisible (blended); IBC > 1: the instances stand apart. The ratio
is scale-free — a generator that is merely noisier or more textured raises E_i with E_b —
and the same measure on the real images (``ibc_real``) says how far apart the instances
really are. ``ibc_boundary_energy`` is E_b of the outputs itself (images on [0, 1]).
Different-class boundaries are left out: SPADE already sees them in the label map.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from pydantic import Field

from ganforge import Condition, DataInfo, Metric, Params
from ganforge.metrics import to_uint8
from ganforge.metrics.distributed import all_reduce_sum

from . import segments


class InstanceBoundaryParams(Params):
    quantize: bool = Field(True, description="round images to 8 bits first, as saved PNGs are")


def _pairs(t: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(left, right) and (top, bottom) views of 4-neighbour pairs along the last two dims."""
    return [(t[..., :, :-1], t[..., :, 1:]), (t[..., :-1, :], t[..., 1:, :])]


def boundary_statistics(image: torch.Tensor, label: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """(4,) float64: sum and count of squared colour differences over same-class instance
    boundary pairs, then over pairs inside the instances that have such a boundary.

    ``image`` (B, C, H, W) on [0, 1]; ``label`` and ``ids`` (B, H, W)."""
    stats = torch.zeros(4, dtype=torch.float64)
    pairs = list(zip(_pairs(image), _pairs(label), _pairs(ids)))
    boundaries = [(la == lb) & (ia != ib) for _, (la, lb), (ia, ib) in pairs]
    for n in range(image.shape[0]):
        involved = torch.cat([torch.cat([ia[n][bd[n]], ib[n][bd[n]]])
                              for (_, _, (ia, ib)), bd in zip(pairs, boundaries)]).unique()
        for ((xa, xb), _, (ia, ib)), bd in zip(pairs, boundaries):
            energy = ((xa[n] - xb[n]) ** 2).sum(0).double()
            inside = (ia[n] == ib[n]) & torch.isin(ia[n], involved)
            stats += torch.stack([energy[bd[n]].sum(), bd[n].sum(), energy[inside].sum(), inside.sum()]).cpu()
    return stats


class InstanceBoundaryContrast(Metric):
    """IBC = boundary / interior colour-difference energy at touching same-class instances."""

    Params: ClassVar = InstanceBoundaryParams
    requires = frozenset({"label", "panoptic"})

    def __init__(self, params: InstanceBoundaryParams, data: DataInfo):
        super().__init__(params, data)
        self.reset()

    @classmethod
    def requirements(cls, params: InstanceBoundaryParams, data: DataInfo) -> frozenset[str]:
        return frozenset({"label"}) | segments.requirements(data)

    def reset(self) -> None:
        self.fake = torch.zeros(4, dtype=torch.float64)
        self.real = torch.zeros(4, dtype=torch.float64)

    def _unit(self, images: torch.Tensor) -> torch.Tensor:
        if self.params.quantize:
            return to_uint8(images).double() / 255
        return images.detach().double().clamp(-1, 1).add(1).div(2)

    def update(self, fake: torch.Tensor, real: torch.Tensor | None = None, cond: Condition | None = None) -> None:
        if cond is None:
            raise ValueError("metric 'instance_boundary' reads the label and panoptic maps: pass `cond`")
        size = tuple(fake.shape[-2:])
        label = segments.resize_ids(cond["label"].long(), size)
        ids = segments.segment_ids(cond, self.data, size)
        self.fake += boundary_statistics(self._unit(fake), label, ids)
        if real is not None:
            self.real += boundary_statistics(self._unit(real), label, ids)

    def compute(self) -> dict[str, float]:
        fake, real = all_reduce_sum(self.fake, self.real)
        if fake[1] == 0 or fake[3] == 0:
            raise ValueError("metric 'instance_boundary': the evaluated label maps have no touching instances of "
                             "one class; evaluate on scenes that do (e.g. the synthetic world with several objects)")
        out = {"ibc": float((fake[0] / fake[1]) / (fake[2] / fake[3])), "ibc_boundary_energy": float(fake[0] / fake[1])}
        if real[1] > 0:
            out["ibc_real"] = float((real[0] / real[1]) / (real[2] / real[3]))
        return out

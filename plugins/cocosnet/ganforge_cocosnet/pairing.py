"""Exemplars for datasets that have none: pair every sample with another of its batch.

CoCosNet trains on (label map, image, exemplar) triples. The official datasets read an
exemplar from a retrieval list with probability ``real_reference_probability`` (0.7) and
otherwise use the image itself, flagging it ``self_ref`` so that feature matching with the
real image applies only there. Datasets without a retrieval list (the synthetic world,
plain paired folders) get the same mix from the batch: the other exemplar is the next
sample of the batch (a different scene of the same world). As a strategy this applies to
any recipe (SPADE's ``paired_conditional`` with CoCosNet's correspondence, for instance).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from pydantic import Field

import ganforge
from ganforge import DataInfo
from ganforge.run import Run

SELF_REF = "self_ref"  # batch key: (B,) 1.0 where the exemplar is the sample's own image


class ExemplarPairingParams(ganforge.Params):
    real_reference_probability: float = Field(
        0.7, ge=0.0, le=1.0, description="probability that a sample's exemplar is another image (else itself)")


class ExemplarPairing(ganforge.Strategy):
    """Adds 'exemplar' and 'exemplar_label' to batches that lack them, pairing samples within the batch."""

    Params: ClassVar = ExemplarPairingParams
    requires = frozenset({"label"})
    provides = frozenset({"exemplar", "exemplar_label"})

    def __init__(self, params: ExemplarPairingParams, data: DataInfo):
        super().__init__(params, data)

    def pair(self, image: torch.Tensor, label: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(exemplar, exemplar_label, self_ref) for a batch; with one sample, itself."""
        b = image.shape[0]
        other = torch.rand(b, device=image.device) < self.params.real_reference_probability
        if b == 1:
            other = torch.zeros_like(other)
        pick = other.view(b, 1, 1, 1)
        exemplar = torch.where(pick, image.roll(1, 0), image)
        exemplar_label = torch.where(pick[:, 0], label.roll(1, 0), label)
        return exemplar, exemplar_label, (~other).float()

    @ganforge.hookimpl
    def ganforge_prepare_batch(self, run: Run, batch: dict[str, Any]) -> None:
        cond = batch["cond"]
        if "exemplar" in cond:
            batch.setdefault(SELF_REF, torch.zeros(cond.batch_size, device=batch["image"].device))
            return
        exemplar, exemplar_label, self_ref = self.pair(batch["image"], cond["label"])
        batch["cond"] = cond.replace(exemplar=exemplar, exemplar_label=exemplar_label)
        batch[SELF_REF] = self_ref

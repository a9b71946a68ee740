"""The labelled fraction: a dataset wrapper that hides the labels of a deterministic,
seeded subset of samples (SEMIT trains with 10 %, 20 % ... of the source labels).

Labels are hidden where the data enters the run, not in a strategy: no network, recipe
or strategy can read a hidden label by accident, the same split holds for every run,
worker and process (it depends on (seed, index) only), and any strategy that assigns
pseudo-labels works with it. The hidden truth travels beside the Condition as
``true_<field>`` so that pseudo-labels can be scored, never inside it.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
import torch
from pydantic import Field

import ganforge
from ganforge.interfaces import ComponentSpec

UNLABELLED = -1


class SemiSupervisedParams(ganforge.Params):
    dataset: ComponentSpec = ganforge.slot("dataset", {"type": "synthetic"}, "the dataset whose labels are hidden")
    field: Literal["domain", "class_label"] = Field("class_label", description="the label to hide")
    labelled_fraction: float = Field(0.1, gt=0.0, le=1.0, description="share of samples that keep their label "
                                     "(the paper's 10 %, 20 % ...); round(fraction * len) samples exactly")
    seed: int = Field(0, ge=0, description="seed of the labelled subset")


def labelled_subset(length: int, fraction: float, seed: int) -> np.ndarray:
    """(length,) bool: exactly round(fraction * length) True, a seeded permutation's head."""
    mask = np.zeros(length, bool)
    mask[np.random.default_rng(seed).permutation(length)[:max(1, round(fraction * length))]] = True
    return mask


class SemiSupervised(ganforge.Dataset):
    """Any dataset with the labels of all but a seeded fraction of samples hidden (-1)."""

    Params: ClassVar = SemiSupervisedParams

    def __init__(self, params: SemiSupervisedParams):
        super().__init__(params)
        self.inner = ganforge.build("dataset", params.dataset, path="data.dataset")
        self.mask = labelled_subset(len(self.inner), params.labelled_fraction, params.seed)

    @classmethod
    def describe(cls, params: SemiSupervisedParams) -> ganforge.DataInfo | None:
        """The wrapped dataset's own description, when it can give one without its files."""
        record, inner = ganforge.resolve("dataset", params.dataset, "data.dataset")
        describe = getattr(record.cls, "describe", None)
        return describe(inner) if callable(describe) else None

    def __len__(self) -> int:
        return len(self.inner)

    def info(self) -> ganforge.DataInfo:
        info = self.inner.info()
        if self.params.field not in info.fields:
            raise ganforge.DataError(f"data.field: the dataset {self.params.dataset.type!r} gives no "
                                     f"{self.params.field!r}; its fields: {', '.join(sorted(info.fields))}")
        return info

    def __getitem__(self, index: int) -> dict[str, Any]:
        sample = dict(self.inner[index])
        name = self.params.field
        if name not in sample:
            raise ganforge.DataError(f"data: sample {index} of {self.params.dataset.type!r} has no {name!r}")
        value = sample[name]
        truth = sample.get(f"true_{name}", value)
        labelled = bool(self.mask[index]) and int(value) != UNLABELLED
        sample[name] = value if labelled else torch.full_like(value, UNLABELLED)
        sample.update({f"true_{name}": truth, "labelled": torch.tensor(labelled), "index": torch.tensor(index)})
        return sample

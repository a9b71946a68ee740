"""The background retrieval step of every batch, as an extra strategy: it adds the
condition field ``retrieved`` (the m best candidates' label maps for the batch's boxes)
before any recipe, evaluation or sampling sees the batch, so BachGAN trains with SPADE's
``paired_conditional`` recipe (or any other) unchanged.

    strategies:
      - {type: background_retrieval, pool: pools/cityscapes_train.pt}

The pool is a file built by ``ganforge bachgan build-pool`` or, for small datasets such as
the synthetic world, built in memory at the first batch from ``pool_data``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from pydantic import Field, model_validator

import ganforge
from ganforge import ComponentSpec, DataInfo
from ganforge.run import Run
from ganforge_spade import semantic

from .pool import CandidatePool


class BackgroundRetrievalParams(ganforge.Params):
    pool: str | None = Field(None, description="candidate pool file from `ganforge bachgan build-pool`")
    pool_data: ComponentSpec | None = ganforge.slot(
        "dataset", None, "or: a dataset whose first pool_size label maps form the pool (built in memory)")
    pool_size: int = Field(1000, ge=1, description="candidates taken from pool_data")
    num_retrieved: int = Field(3, ge=1, description="m: candidates retrieved per sample (official: 3)")
    exclude_query: bool = Field(True, description="skip a candidate identical to the query's own label map "
                                                  "(training on the pool's own images, as the official code)")

    @model_validator(mode="after")
    def _one_source(self):
        if (self.pool is None) == (self.pool_data is None):
            raise ValueError("give exactly one of 'pool' (a file) and 'pool_data' (a dataset spec)")
        return self


def build_pool(spec: Any, size: int, resolution: tuple[int, int] | None = None, path: str = "pool_data",
               seed: int | None = None) -> CandidatePool:
    """A pool from ``size`` samples of a dataset spec, at ``resolution`` (default: the
    dataset's own): the first ones, or with ``seed`` a random subset (the official pools are
    a random quarter or half of the training set)."""
    dataset = ganforge.build("dataset", spec, path=path)
    info = dataset.info()
    num_labels = info.label_nc + int(info.contain_dontcare_label)
    if num_labels < 1:
        raise ganforge.ConfigError(f"{path}: the dataset has no label maps (label_nc 0) to build a pool from")
    n = min(size, len(dataset))
    order = (torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))[:n].sort().values.tolist()
             if seed is not None else range(n))
    samples = (dataset[i] for i in order)
    return CandidatePool.from_samples(samples, num_labels, tuple(resolution or info.resolution),
                                      source=f"{path} {getattr(spec, 'type', spec)!r}")


class BackgroundRetrieval(ganforge.Strategy):
    """Adds the retrieved background candidates ('retrieved') for the boxes of every batch."""

    Params: ClassVar = BackgroundRetrievalParams
    requires = frozenset({"boxes"})
    provides = frozenset({"retrieved"})

    def __init__(self, params: BackgroundRetrievalParams, data: DataInfo):
        super().__init__(params, data)
        self._pool: CandidatePool | None = None

    def pool(self) -> CandidatePool:
        """The pool, loaded (or built) once, checked against the run's label channels."""
        if self._pool is None:
            p = self.params
            if p.pool:
                pool = CandidatePool.load(p.pool)
            else:
                pool = build_pool(p.pool_data, p.pool_size, path="background_retrieval.pool_data")
            expected = semantic.semantic_nc(self.data, False)
            if pool.num_labels != expected:
                raise ganforge.ConfigError(f"background_retrieval: the pool from {pool.source} has {pool.num_labels} "
                                           f"label channels, the run's data {expected}")
            self._pool = pool
        return self._pool

    def retrieve(self, cond: ganforge.Condition) -> ganforge.Condition:
        """``cond`` with 'retrieved': (B, m, H, W) label maps at the data's resolution."""
        pool = self.pool()
        if pool.labels.device != cond["boxes"].device:
            self._pool = pool = pool.to(cond["boxes"].device)
        queries = cond["label"] if self.params.exclude_query and "label" in cond else None
        index = pool.retrieve(cond["boxes"], self.params.num_retrieved, queries)
        return cond.replace(retrieved=pool.maps(index, tuple(self.data.resolution)))

    @ganforge.hookimpl
    def ganforge_prepare_batch(self, run: Run, batch: dict[str, Any]) -> None:
        batch["cond"] = self.retrieve(batch["cond"])

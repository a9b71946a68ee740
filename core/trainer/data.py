"""Batches for the loop: a resumable sharded sampler, seeded loaders, device transfer.

The data position is (epoch, batches consumed in that epoch). Each epoch's order is a
permutation fixed by (seed, epoch), as DistributedSampler draws it, so a resumed run
skips the consumed batches and sees exactly the samples the interrupted run would have.
Loaders get their own generator: creating one never touches the global RNG that the
recipe's noise comes from.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, DistributedSampler

from ganforge.condition import Condition, check_label_range
from ganforge.errors import ConditionMismatch, ConfigError, DataError
from ganforge.interfaces import DataInfo

from .distributed import World


class ResumableSampler(DistributedSampler):
    """DistributedSampler (shuffled, drop_last) that can start inside an epoch."""

    def __init__(self, dataset, world: World, seed: int):
        super().__init__(dataset, num_replicas=world.size, rank=world.rank, shuffle=True, seed=seed,
                         drop_last=True)
        self.skip = 0

    def __iter__(self) -> Iterator[int]:
        indices = list(super().__iter__())
        return iter(indices[self.skip:])

    def __len__(self) -> int:
        return self.num_samples - self.skip


@dataclass
class Position:
    """Where the loop is in the data: epoch and batches consumed in it."""

    epoch: int = 0
    batch: int = 0


def _seed_worker(worker_id: int) -> None:
    """numpy and random in each worker follow torch's per-worker seed."""
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


class Batches:
    """An endless, resumable stream of this rank's batches."""

    def __init__(self, dataset, batch_size: int, world: World, seed: int, num_workers: int, position: Position):
        if batch_size % world.size:
            raise ConfigError(f"train.batch_size: {batch_size} is not divisible by the {world.size} processes")
        self.per_rank = batch_size // world.size
        self.sampler = ResumableSampler(dataset, world, seed)
        if self.sampler.num_samples < self.per_rank:
            raise ConfigError(f"train.batch_size: the dataset has {len(dataset)} samples, fewer than one batch "
                              f"of {self.per_rank} per process")
        self.dataset, self.world, self.seed, self.num_workers = dataset, world, seed, num_workers
        self.position = position

    @property
    def batches_per_epoch(self) -> int:
        return self.sampler.num_samples // self.per_rank

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while True:
            if self.position.batch >= self.batches_per_epoch:
                self.position = Position(self.position.epoch + 1, 0)
            self.sampler.set_epoch(self.position.epoch)
            self.sampler.skip = self.position.batch * self.per_rank
            gen = torch.Generator().manual_seed(self.seed * 100003 + self.position.epoch * 1009 + self.world.rank)
            loader = DataLoader(self.dataset, batch_size=self.per_rank, sampler=self.sampler, drop_last=True,
                                num_workers=self.num_workers, worker_init_fn=_seed_worker, generator=gen,
                                persistent_workers=False)
            for batch in loader:
                self.position = Position(self.position.epoch, self.position.batch + 1)
                yield batch


def fixed_batch(dataset, n: int) -> dict[str, Any]:
    """The first ``n`` samples, collated: the batch every sample grid is drawn from."""
    n = min(n, len(dataset))
    return torch.utils.data.default_collate([dataset[i] for i in range(n)])


LABEL_FIELDS = ("label", "exemplar_label")


def check_labels(raw: dict[str, Any], info: DataInfo) -> None:
    """The data edge: label ids in range, checked once per batch while still on the CPU,
    so no layer needs a device sync to check them again."""
    if info.label_nc < 1:
        return
    nc = info.label_nc + int(info.contain_dontcare_label)
    for name in LABEL_FIELDS:
        lab = raw.get(name)
        if isinstance(lab, torch.Tensor) and lab.device.type == "cpu":
            try:
                check_label_range(lab, nc, name)
            except ConditionMismatch as e:
                raise DataError(f"data: {e}") from None


def to_run_batch(raw: dict[str, Any], info: DataInfo, device: torch.device, channels_last: bool) -> dict[str, Any]:
    """Dataset dict -> ``{"image", "cond": Condition, ...rest}`` on the device; the
    Condition holds the fields the data declares."""
    def move(t: Any) -> Any:
        if not isinstance(t, torch.Tensor):
            return t
        t = t.to(device, non_blocking=True)
        if channels_last and t.dim() == 4 and t.is_floating_point():
            t = t.contiguous(memory_format=torch.channels_last)
        return t

    check_labels(raw, info)
    out = {k: move(v) for k, v in raw.items() if k not in info.fields}
    out["cond"] = Condition({k: move(raw[k]) for k in info.fields if k in raw})
    return out

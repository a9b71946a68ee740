"""Data-parallel training without DistributedDataParallel.

GAN recipes call each network several times per step (D on real and on fake, G inside
D's step with ``detach`` and again in G's step), and DDP's reducer expects exactly one
forward per backward and parameters that are all used. So ganforge keeps the plain
modules and averages the gradients itself: one flattened ``all_reduce`` per optimiser
phase, right after backward. The process group comes from ``torchrun`` (``env://``) or
from the caller (``torch.distributed.init_process_group`` before `train`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Sequence

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    """Where this process sits: rank among ``size`` processes, on ``device``."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Only the main process writes files (checkpoints, samples, logs, report)."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def init_world(device_type: str) -> World:
    """Join the process group of ``torchrun`` (gloo on CPU, nccl on GPU), or use one the
    caller already initialised; a single process needs none."""
    if dist.is_available() and dist.is_initialized():
        return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", dist.get_rank())))
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World()
    dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo")
    return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def average_gradients(params: Iterable[torch.nn.Parameter], world: World) -> None:
    """Average ``.grad`` over ranks in one flattened all_reduce (every rank runs the same
    recipe, so the same parameters have gradients everywhere)."""
    if not world.distributed:
        return
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    flat.div_(world.size)
    offset = 0
    for g in grads:
        n = g.numel()
        g.copy_(flat[offset:offset + n].view_as(g))
        offset += n


def mean_over_ranks(values: torch.Tensor, world: World) -> torch.Tensor:
    """The mean of a small tensor of scalars over ranks (losses and logs)."""
    if world.distributed:
        values = values.clone()
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
        values.div_(world.size)
    return values


def broadcast_modules(modules: Sequence[torch.nn.Module], world: World) -> None:
    """Give every rank rank 0's weights and buffers (same start, whatever the init)."""
    if not world.distributed:
        return
    for module in modules:
        for t in list(module.parameters()) + list(module.buffers()):
            dist.broadcast(t.data, src=0)


def gather_objects(obj: object, world: World) -> list[object]:
    """``obj`` of every rank, in rank order (RNG states for the checkpoint)."""
    if not world.distributed:
        return [obj]
    out: list[object] = [None] * world.size
    dist.all_gather_object(out, obj)
    return out


def barrier(world: World) -> None:
    if world.distributed:
        dist.barrier()


def shutdown(world: World, owned: bool) -> None:
    """Leave the process group if this module created it."""
    if owned and world.distributed and dist.is_initialized():
        dist.destroy_process_group()

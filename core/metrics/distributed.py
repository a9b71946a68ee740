"""Cross-rank reductions for metric state: sums for streaming statistics, gathers for
metrics that need every sample (KID's subsets, IS's splits).

Every function is the identity when torch.distributed is not initialised, so a metric
reads the same in a single process and under torchrun.
"""

from __future__ import annotations

import torch
import torch.distributed as dist


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def _comm_device() -> torch.device:
    """NCCL reduces CUDA tensors only; gloo and the rest reduce CPU tensors."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def all_reduce_sum(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The element-wise sum over ranks of each tensor (new tensors, same device and dtype)."""
    if not is_distributed():
        return tensors
    device = _comm_device()
    out = []
    for t in tensors:
        buf = t.detach().to(device).clone()
        dist.all_reduce(buf, op=dist.ReduceOp.SUM)
        out.append(buf.to(t.device))
    return tuple(out)


def all_gather_rows(t: torch.Tensor) -> torch.Tensor:
    """Every rank's rows of ``t`` concatenated in rank order (ranks may hold different counts)."""
    if not is_distributed():
        return t
    parts: list = [None] * dist.get_world_size()
    dist.all_gather_object(parts, t.detach().cpu())
    return torch.cat(parts, 0).to(t.device)

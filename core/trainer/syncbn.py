"""Synchronised batch norm on every device: torch's `nn.SyncBatchNorm` on CUDA, ours on CPU.

torch's SyncBatchNorm refuses CPU tensors, so a recipe whose normalizer is SPADE's
``syncbatch`` could not train under ``torchrun`` with gloo. `CPUSyncBatchNorm` computes
the batch statistics over every rank's part of the batch with a differentiable
all-reduce (`AllReduceSum`, what the deprecated ``torch.distributed.nn.functional.all_reduce``
does): the backward pass all-reduces the gradients of the statistics, so each rank's
input gradient is the one a single process with the whole batch would compute (the
trainer then averages the parameter gradients as for any layer). Its state_dict is BatchNorm's, so checkpoints
load in one process.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


class AllReduceSum(torch.autograd.Function):
    """Sum over ranks; the gradient of every rank's input is the sum of all ranks' output gradients."""

    @staticmethod
    def forward(ctx, tensor: torch.Tensor) -> torch.Tensor:
        out = tensor.clone()
        dist.all_reduce(out, op=dist.ReduceOp.SUM)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous().clone()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        return grad


def all_reduce(tensor: torch.Tensor) -> torch.Tensor:
    return AllReduceSum.apply(tensor)


class CPUSyncBatchNorm(_BatchNorm):
    """Batch norm whose training statistics are those of the global batch (all ranks).

    Mean and biased variance in two differentiable all-reduces (sum and count, then the
    centred sum of squares: no catastrophic cancellation); the running variance gets the
    unbiased global estimate, as in `nn.SyncBatchNorm`. In eval mode, or on one process,
    it is plain batch norm.
    """

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        self._check_input_dim(input)
        distributed = dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1
        if not (self.training and distributed):
            return _plain_batch_norm(self, input)
        dims = [0, *range(2, input.dim())]
        shape = [1, -1] + [1] * (input.dim() - 2)
        local = torch.tensor([input.numel() // max(input.shape[1], 1)], dtype=input.dtype, device=input.device)
        total = all_reduce(torch.cat([input.sum(dims), local]))
        count = total[-1]
        mean = total[:-1] / count
        if count.item() <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.size()}")
        centred = input - mean.view(shape)
        var = all_reduce((centred * centred).sum(dims)) / count
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                self.running_mean.mul_(1 - factor).add_(mean.detach(), alpha=factor)
                self.running_var.mul_(1 - factor).add_(var.detach() * (count / (count - 1)), alpha=factor)
        out = centred * torch.rsqrt(var + self.eps).view(shape)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out


def _plain_batch_norm(bn: _BatchNorm, input: torch.Tensor) -> torch.Tensor:
    """What `nn.BatchNorm2d.forward` does (running statistics, momentum, eval mode)."""
    factor = 0.0 if bn.momentum is None else bn.momentum
    if bn.training and bn.track_running_stats:
        bn.num_batches_tracked.add_(1)
        factor = 1.0 / float(bn.num_batches_tracked) if bn.momentum is None else bn.momentum
    use_batch = bn.training or (bn.running_mean is None and bn.running_var is None)
    track = not bn.training or bn.track_running_stats
    return F.batch_norm(input, bn.running_mean if track else None, bn.running_var if track else None,
                        bn.weight, bn.bias, use_batch, factor, bn.eps)


def sync_batchnorm(module: nn.Module, device_type: str, convert_plain: bool) -> nn.Module:
    """``module`` with its batch norms synchronised across ranks for ``device_type``.

    Explicit `nn.SyncBatchNorm` layers (SPADE's ``syncbatch``) always synchronise; plain
    BatchNorm layers too when ``convert_plain`` (``train.sync_batchnorm``). On CUDA that is
    torch's own SyncBatchNorm; elsewhere `CPUSyncBatchNorm`.
    """
    if device_type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(module) if convert_plain else module
    return _to_cpu_sync(module, convert_plain)


def _to_cpu_sync(module: nn.Module, convert_plain: bool) -> nn.Module:
    out = module
    if isinstance(module, nn.SyncBatchNorm) or (convert_plain and isinstance(module, nn.modules.batchnorm._BatchNorm)
                                               and not isinstance(module, CPUSyncBatchNorm)):
        out = CPUSyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                               module.track_running_stats, device=_device(module))
        out.load_state_dict(module.state_dict())
        out.train(module.training)
        if module.affine:
            out.weight.requires_grad_(module.weight.requires_grad)
            out.bias.requires_grad_(module.bias.requires_grad)
    for name, child in module.named_children():
        out.add_module(name, _to_cpu_sync(child, convert_plain))
    return out


def _device(module: nn.Module) -> torch.device | None:
    tensors = [*module.parameters(recurse=False), *module.buffers(recurse=False)]
    return tensors[0].device if tensors else None

"""Synchronised batch norm on CPU: two gloo processes, each with half the batch, compute
what one process computes with the whole batch (outputs, input and parameter gradients,
running statistics)."""

from __future__ import annotations

import copy
import multiprocessing
import socket

import pytest
import torch
from torch import nn

from ganforge.trainer.syncbn import CPUSyncBatchNorm, sync_batchnorm


def make_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.SyncBatchNorm(4, affine=False), nn.ReLU(),
                         nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4), nn.Tanh())


def batch() -> torch.Tensor:
    return torch.randn(6, 3, 5, 5, generator=torch.Generator().manual_seed(1))


def step(net: nn.Module, world: int, rank: int = 0) -> dict[str, torch.Tensor]:
    """Forward this rank's part of the batch, a weighted mean as the loss, backward, and
    the trainer's averaging of parameter gradients over ranks."""
    x = batch().chunk(world)[rank].clone().requires_grad_(True)
    y = net(x)
    weights = torch.linspace(-1, 1, batch().numel() // 3 * 4).view(6, 4, 5, 5).chunk(world)[rank]
    loss = (y * weights).mean()
    loss.backward()
    grads = {n: p.grad for n, p in net.named_parameters()}
    if world > 1:
        for g in grads.values():
            torch.distributed.all_reduce(g)
            g.div_(world)
    return {"out": y.detach(), "input_grad": x.grad, **{f"grad.{k}": v for k, v in grads.items()},
            **{f"buf.{k}": v for k, v in net.state_dict().items() if "running" in k}}


def worker(rank: int, port: int, out: str) -> None:
    torch.set_num_threads(1)
    torch.distributed.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        net = sync_batchnorm(make_net(), "cpu", convert_plain=True)
        assert sum(isinstance(m, CPUSyncBatchNorm) for m in net.modules()) == 2
        torch.save(step(net, world=2, rank=rank), f"{out}/rank{rank}.pt")
    finally:
        torch.distributed.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_gloo_processes_match_one_process_with_the_whole_batch(tmp_path):
    # fork, as DataLoader workers do (one thread in the child): no second torch import
    ctx, port = multiprocessing.get_context("fork"), free_port()
    procs = [ctx.Process(target=worker, args=(r, port, str(tmp_path))) for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    results = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]

    net = make_net()  # one process: SyncBatchNorm is plain batch norm here
    ref = step(net, world=1)
    for key, value in ref.items():
        if key == "out":
            got = torch.cat([results[0][key], results[1][key]])
        elif key == "input_grad":  # each rank's loss is a mean over its half: twice the global mean's gradient
            got = torch.cat([results[0][key], results[1][key]]) / 2
        else:
            got = results[0][key]
            torch.testing.assert_close(results[1][key], got, msg=f"{key}: ranks disagree")
        torch.testing.assert_close(got, value, rtol=1e-5, atol=1e-6, msg=key)
    assert ref["buf.1.running_var"].ne(1).all()  # the statistics did move


def test_converted_layer_keeps_the_state_and_is_plain_batch_norm_on_one_process():
    ref = make_net()
    ref[4].running_mean.fill_(0.5)
    converted = sync_batchnorm(copy.deepcopy(ref), "cpu", convert_plain=True)
    assert isinstance(converted[1], CPUSyncBatchNorm) and isinstance(converted[4], CPUSyncBatchNorm)
    x = batch()
    for mode in (True, False):
        torch.testing.assert_close(converted.train(mode)(x), ref.train(mode)(x))
    torch.testing.assert_close(converted.state_dict(), ref.state_dict())
    only_explicit = sync_batchnorm(make_net(), "cpu", convert_plain=False)
    assert isinstance(only_explicit[1], CPUSyncBatchNorm) and type(only_explicit[4]) is nn.BatchNorm2d


def test_batch_of_one_value_per_channel_is_refused():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        CPUSyncBatchNorm(2).train()(torch.zeros(1, 2, 1, 1))

"""The trainer's parts on their own: EMA, R1, schedule, optimiser ownership, data
position, checkpoint files and RNG states."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from torch import nn

from ganforge import DiscriminatorOutput
from ganforge.config import R1, Schedule
from ganforge.run import Run
from ganforge.trainer import checkpoint as ckpt
from ganforge.trainer.data import Batches, Position
from ganforge.trainer.distributed import World
from ganforge.trainer.ema import EMA
from ganforge.trainer.optim import lr_factor, param_groups, phases
from ganforge.trainer.penalty import r1_due, r1_penalty


def test_ema_follows_the_formula_and_copies_before_start():
    net = nn.Linear(2, 2)
    ema = EMA(net, beta=0.9, start=2)
    with torch.no_grad():
        net.weight.fill_(1.0)
    ema.update(step=0)  # before start: a copy
    assert torch.equal(ema.shadow.weight, net.weight)
    with torch.no_grad():
        net.weight.fill_(3.0)
    ema.update(step=2)
    assert torch.allclose(ema.shadow.weight, torch.full((2, 2), 0.9 * 1.0 + 0.1 * 3.0))
    assert not any(p.requires_grad for p in ema.shadow.parameters())


class LinearD(nn.Module):
    """D(x) = sum(w * x): grad_x is w everywhere, so R1 is known in closed form."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(0.5))

    def forward(self, image, cond):
        return DiscriminatorOutput(scores=[(self.w * image).sum((1, 2, 3))])


def test_r1_penalty_matches_closed_form_and_reaches_d():
    d = LinearD()
    batch = {"image": torch.randn(3, 1, 2, 2), "cond": None}
    cfg = R1(gamma=2.0, interval=4)
    penalty = r1_penalty(d, batch, cfg)
    # ||grad||^2 = 4 pixels * w^2 = 1.0; * gamma/2 * interval = 4.0
    assert penalty.item() == pytest.approx(4.0)
    penalty.backward()
    assert d.w.grad.item() == pytest.approx(2.0 / 2 * 4 * 4 * 2 * 0.5)  # d/dw (4 * 4 w^2) = 32 w
    assert [r1_due(cfg, s) for s in range(6)] == [True, False, False, False, True, False]
    assert not r1_due(R1(gamma=0.0), 0)


def test_lr_schedule():
    assert lr_factor(Schedule(), 99, 100) == 1.0
    linear = Schedule(type="linear", decay_steps=10)
    assert [lr_factor(linear, s, 100) for s in (0, 89, 90, 95, 99)] == pytest.approx([1, 1, 1, 0.5, 0.1])


def test_shared_parameters_belong_to_the_first_optimiser():
    shared = nn.Linear(2, 2)
    g, d = nn.Sequential(shared, nn.Linear(2, 2)), nn.Sequential(shared, nn.Linear(2, 1))
    d[1].weight.requires_grad_(False)
    hook = type("Hook", (), {"ganforge_param_groups": staticmethod(lambda run, optimizer: None)})()
    run = Run(config=None, data=None, models=nn.ModuleDict({"generator": g, "discriminator": d}), hook=hook)
    groups = param_groups(run, {"generator": ("generator", "encoder"), "discriminator": ("discriminator",)})
    ids = {name: {id(p) for grp in gs for p in grp["params"]} for name, gs in groups.items()}
    assert ids["generator"] == {id(p) for p in g.parameters()}  # the absent encoder is skipped
    assert ids["discriminator"] == {id(d[1].bias)}  # shared -> generator; frozen weight -> nobody
    kinds = {"generator": "generator", "discriminator": "discriminator", "encoder": "encoder"}
    assert phases({"generator": ("generator",), "discriminator": ("discriminator",), "mapping": ("generator",)},
                  kinds, {"generator": 1, "discriminator": 1}) == {
        "discriminator": ["discriminator"], "generator": ["generator"]}


class Indexed(torch.utils.data.Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return {"i": i}


def take(stream, n):
    return [b["i"].tolist() for _, b in zip(range(n), stream)]


def test_batches_resume_mid_epoch_with_the_same_order():
    full = Batches(Indexed(), 4, World(), seed=5, num_workers=0, position=Position())
    uninterrupted = take(iter(full), 7)  # 2 batches per epoch (drop_last), so 3.5 epochs
    assert len(set(sum(uninterrupted[0:2], []))) == 8  # an epoch never repeats a sample
    assert uninterrupted[0] != uninterrupted[2]  # each epoch has its own permutation
    head = Batches(Indexed(), 4, World(), seed=5, num_workers=0, position=Position())
    stream = iter(head)
    first = take(stream, 3)
    resumed = Batches(Indexed(), 4, World(), seed=5, num_workers=0, position=head.position)
    assert head.position == Position(1, 1)
    assert first + take(iter(resumed), 4) == uninterrupted


def test_batches_shard_across_ranks():
    one = take(iter(Batches(Indexed(), 4, World(), 5, 0, Position())), 2)
    ranks = [take(iter(Batches(Indexed(), 4, World(rank=r, size=2), 5, 0, Position())), 2) for r in (0, 1)]
    for step in range(2):
        assert sorted(ranks[0][step] + ranks[1][step]) == sorted(one[step])


def test_atomic_write_and_pruning(tmp_path):
    folder = tmp_path / "checkpoints"
    for step in (1, 2, 3, 10):
        ckpt.save(folder / ckpt.checkpoint_name(step), {"step": step, "w": torch.ones(2)})
    assert sorted(p.name for p in folder.iterdir()) == [f"step_{s:08d}.pt" for s in (1, 2, 3, 10)]
    assert ckpt.latest_checkpoint(tmp_path).name == "step_00000010.pt"
    (folder / ".step_00000011.pt.abc123.tmp").write_bytes(b"left by a killed writer")
    ckpt.prune(folder, keep_last=2)
    assert sorted(p.name for p in folder.iterdir()) == ["step_00000003.pt", "step_00000010.pt"]

    def explode(f):
        f.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        ckpt.atomic_write(folder / "step_00000011.pt", explode)
    assert [p.name for p in folder.iterdir() if "11" in p.name] == []  # no torn file, no temp left
    (folder / "step_00000012.pt").write_bytes(b"garbage")
    with pytest.raises(Exception, match="step_00000012.pt: cannot be read as a ganforge checkpoint"):
        ckpt.load(folder / "step_00000012.pt")


def test_rng_states_round_trip_through_weights_only(tmp_path):
    torch.manual_seed(1), np.random.seed(2), random.seed(3)
    np.random.randn(), random.gauss(0, 1)  # leave a cached gaussian in numpy's and python's state
    ckpt.save(tmp_path / "s.pt", {"rng": ckpt.rng_state()})
    expected = (torch.rand(3), np.random.rand(3), random.random(), random.gauss(0, 1))
    torch.manual_seed(9), np.random.seed(9), random.seed(9)
    ckpt.set_rng_state(ckpt.load(tmp_path / "s.pt", require=("rng",))["rng"])
    got = (torch.rand(3), np.random.rand(3), random.random(), random.gauss(0, 1))
    assert torch.equal(got[0], expected[0]) and np.array_equal(got[1], expected[1]) and got[2:] == expected[2:]


def test_a_strategy_may_choose_the_parameter_groups():
    g, d = nn.Linear(2, 2), nn.Linear(2, 1)

    def groups(run, optimizer):
        if optimizer == "generator":
            return [{"params": [g.weight]}, {"params": [g.bias], "lr": 1e-6}]
        return None

    hook = type("Hook", (), {"ganforge_param_groups": staticmethod(groups)})()
    run = Run(config=None, data=None, models=nn.ModuleDict({"generator": g, "discriminator": d}), hook=hook)
    out = param_groups(run, {"generator": ("generator",), "discriminator": ("generator", "discriminator")})
    assert out["generator"][1] == {"params": [g.bias], "lr": 1e-6}
    # parameters a strategy claimed are not given to a later optimiser by default
    assert {id(p) for p in out["discriminator"][0]["params"]} == {id(d.weight), id(d.bias)}

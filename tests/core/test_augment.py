"""DiffAugment's operations (ganforge.augment) against the official ranges, and the run
API it is built on (`Run.wrap_input`, `Run.roles`)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganforge.augment import color, cutout, diff_augment, shifts, translate
from ganforge.run import Run


def test_color_is_the_identity_at_the_middle_of_its_ranges_and_per_sample_otherwise():
    x = torch.randn(3, 3, 8, 8)
    assert torch.allclose(color(x, torch.full((3, 7), 0.5)), x, atol=1e-6)
    u = torch.full((3, 7), 0.5)
    u[1, 0] = 1.0  # brightness +0.5 for sample 1 only
    out = color(x, u)
    assert torch.allclose(out[1], x[1] + 0.5, atol=1e-6) and torch.allclose(out[0], x[0], atol=1e-6)
    u = torch.full((3, 7), 0.5)
    u[:, 1] = 0.0  # saturation 0: every channel equals the channel mean
    assert torch.allclose(color(x, u), x.mean(1, keepdim=True).expand_as(x), atol=1e-6)


def test_shifts_are_uniform_integers_up_to_an_eighth_of_the_size():
    dy, dx = shifts(torch.rand(100_000, 7), (64, 40), 0.125)
    assert (dy.min(), dy.max(), dx.min(), dx.max()) == (-8, 8, -5, 5)  # int(64/8 + .5), int(40/8 + .5)
    freq = torch.bincount(dy + 8).float() / len(dy)
    assert torch.allclose(freq, torch.full((17,), 1 / 17), atol=0.005)


def test_translate_moves_content_and_pads_with_zeros():
    x = torch.arange(1, 17, dtype=torch.float).view(1, 1, 4, 4).repeat(2, 2, 1, 1)
    out = translate(x, torch.tensor([1, 0]), torch.tensor([0, -2]))
    assert torch.equal(out[0, :, :3], x[0, :, 1:]) and (out[0, :, 3] == 0).all()  # out[i] = x[i + 1]
    assert torch.equal(out[1, :, :, 2:], x[1, :, :, :2]) and (out[1, :, :, :2] == 0).all()
    labels = torch.arange(16).view(1, 4, 4)  # (B, H, W) maps move the same way
    assert torch.equal(translate(labels, torch.tensor([1]), torch.tensor([0]))[0, :3], labels[0, 1:])


def test_cutout_zeroes_a_half_size_square_clipped_at_the_border():
    x = torch.ones(200, 3, 16, 12)
    out = cutout(x, torch.rand(200, 7), 0.5)
    zeroed = (out == 0).all(1).flatten(1).sum(1)
    assert zeroed.max() == 8 * 6 and zeroed.min() >= 4 * 3  # a full square inside, a quarter at a corner
    centre = torch.zeros(1, 7)
    centre[0, 5:] = 0.5  # offset at the centre: a full 8 x 6 square
    assert (cutout(torch.ones(1, 1, 16, 12), centre, 0.5) == 0).sum() == 48


def test_gradients_flow_through_every_operation():
    x = torch.randn(2, 3, 8, 8, requires_grad=True)
    diff_augment(x, torch.rand(2, 7), ["color", "translation", "cutout"]).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_wrap_input_acts_on_every_call_and_checks_what_it_returns():
    d = nn.Identity()
    run = Run(config=None, data=None, models=nn.ModuleDict({"critic": d, "gen": nn.Identity()}),
              kinds={"critic": "discriminator", "gen": "generator"})
    assert run.roles("discriminator") == ["critic"] and run.roles() == ["critic", "gen"]
    handle = run.wrap_input("critic", lambda x: (x + 1,))
    assert torch.equal(run.models["critic"](torch.zeros(2)), torch.ones(2))
    handle.remove()
    assert torch.equal(run.models["critic"](torch.zeros(2)), torch.zeros(2))
    run.wrap_input("critic", lambda x: x)
    with pytest.raises(TypeError, match=r"wrap_input\('critic'\): .* must return a tuple of 1 positional"):
        run.models["critic"](torch.zeros(2))
    with pytest.raises(KeyError, match="no network 'discriminator'; this run has critic, gen"):
        run.wrap_input("discriminator", lambda x: (x,))

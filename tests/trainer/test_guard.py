"""The NaN guard beyond the loss: gradients, weights, buffers, EMA and checkpoint state
(a finite loss can hide all of them), non-finite hyper-parameters, divergence warnings."""

from __future__ import annotations

import sys
import types

import pytest
import torch
from pydantic import Field

import ganforge
from ganforge.errors import ConfigError, GanforgeWarning
from ganforge.registry import load, use_registry
from ganforge.trainer import (NonFiniteCheckpoint, NonFiniteState, Trainer, list_checkpoints, load_checkpoint)
from ganforge.trainer.guard import DivergenceWatch


class Poison(ganforge.Strategy):
    """Test-only extra strategy: at a chosen step, a NaN gradient behind a finite loss, an
    Inf in a generator buffer (a BatchNorm statistic gone to inf), or a loss scaled up."""

    class Params(ganforge.Params):
        grad_step: int = -1
        buffer_step: int = -1
        scale_from: int = Field(-1, description="from this step the generator loss is multiplied by 1e6")

    @ganforge.hookimpl
    def ganforge_setup(self, run):
        g = run.models["generator"]
        g.register_buffer("running_var", torch.ones(3))
        p = next(g.parameters())
        p.register_hook(lambda grad: grad * float("nan") if run.step == self.params.grad_step else grad)
        self.run = run

    @ganforge.hookimpl
    def ganforge_prepare_batch(self, run, batch):
        if run.step == self.params.buffer_step:
            run.models["generator"].running_var.fill_(float("inf"))

    @ganforge.hookimpl(wrapper=True)
    def ganforge_generator_step(self, run, batch):
        result = yield
        if 0 <= self.params.scale_from <= run.step:
            result = ganforge.StepResult(result.loss * 1e6, result.logs)
        return result


@pytest.fixture
def poison_registry(tiny_registry):
    import tiny_plugin

    module = types.ModuleType("poison_plugin")
    module.ganforge_register = ganforge.hookimpl(
        lambda register: register("strategy", "poison", Poison))
    sys.modules.setdefault("poison_plugin", module)
    with use_registry(load(autoload=False, objects=[("tiny", tiny_plugin), ("poison", module)],
                           make_current=False)) as reg:
        yield reg


@pytest.fixture
def make_poisoned(poison_registry, config_tree):
    """An Experiment of the base config with the Poison strategy (``poison``) and ``train`` settings."""
    from ganforge.config import from_dict

    def make(poison: dict, **train):
        tree = {**config_tree, "strategies": [{"type": "poison", **poison}]}
        tree["train"] = {**tree["train"], **train}
        return from_dict(tree)
    return make


def test_nan_gradient_behind_a_finite_loss_stops_before_the_update(make_poisoned, tmp_path):
    exp = make_poisoned({"grad_step": 4}, steps=8, keep_last=1, checkpoint_every=2)
    trainer = Trainer(exp, tmp_path / "run", show_progress=False)
    with pytest.raises(NonFiniteState) as err:
        trainer.fit()
    text = str(err.value)
    assert "the generator phase's gradients hold NaN or Inf at step 5: 1 tensor (generator." in text
    assert "before the update; the last good checkpoint is" in text and "step_00000004.pt" in text
    assert all(torch.isfinite(p).all() for m in trainer.networks.values() for p in m.parameters())
    (kept,) = list_checkpoints(tmp_path / "run" / "checkpoints")  # keep_last 1: the finite one survives
    assert kept.name == "step_00000004.pt"
    load_checkpoint(kept)  # finite, so it loads


def test_inf_buffer_and_ema_never_reach_a_checkpoint(make_poisoned, tmp_path):
    exp = make_poisoned({"buffer_step": 3}, steps=8, keep_last=1, checkpoint_every=2, ema={"enabled": True})
    trainer = Trainer(exp, tmp_path / "run", show_progress=False)
    with pytest.raises(NonFiniteState) as err:
        trainer.fit()
    text = str(err.value)
    assert "the weights or buffers hold NaN or Inf at step 4: 2 tensors (generator.running_var, " \
           "ema.generator.running_var)" in text
    assert "(nothing was saved since they went bad); the last good checkpoint is" in text
    assert [p.name for p in list_checkpoints(tmp_path / "run" / "checkpoints")] == ["step_00000002.pt"]


def test_checkpoint_state_is_checked_before_it_is_written(make_exp, config_tree, tmp_path):
    trainer = Trainer(make_exp(config_tree, steps=4, keep_last=1, checkpoint_every=2), tmp_path / "run",
                      show_progress=False)
    trainer.fit()
    first = list_checkpoints(tmp_path / "run" / "checkpoints")
    opt = trainer.optimizers["generator"]
    next(iter(opt.state.values()))["exp_avg_sq"].fill_(float("inf"))  # a moment overflowed
    with pytest.raises(NonFiniteState, match=r"the tensors to checkpoint hold NaN or Inf at step 4: .*"
                                             r"optimizers\.generator\.state\.0\.exp_avg_sq.*without writing it"):
        trainer.save_checkpoint()
    assert list_checkpoints(tmp_path / "run" / "checkpoints") == first


def test_a_non_finite_checkpoint_is_refused_for_resume(registry, make_exp, config_tree, tmp_path):
    run = tmp_path / "run"
    Trainer(make_exp(config_tree, steps=2, checkpoint_every=2), run, show_progress=False).fit()
    (path,) = list_checkpoints(run / "checkpoints")
    state = torch.load(path, weights_only=True)
    state["models"]["discriminator"]["conv1.weight"][0, 0, 0, 0] = float("nan")
    torch.save(state, path)
    with pytest.raises(NonFiniteCheckpoint, match=r"step_00000002.pt: 1 tensor \(models.discriminator.conv1.weight\) "
                                                  r"holds NaN or Inf: the run had diverged"):
        Trainer(make_exp(config_tree, steps=4), run, resume=True, show_progress=False)


@pytest.mark.parametrize("value, message", [
    (".inf", "Input should be a finite number"), (".nan", "Input should be a finite number"),
    ("1e9", "Input should be less than or equal to 1"), ("0", "Input should be greater than 0")])
def test_non_finite_and_absurd_learning_rates_are_refused(registry, write_config, config_tree, value, message):
    from ganforge.config import load_config

    with pytest.raises(ConfigError, match=rf"optim.generator.lr: {message}"):
        load_config(write_config(config_tree), [f"optim.generator.lr={value}"])
    with pytest.raises(ConfigError, match=r"models.generator.noise: Input should be a finite number \(got nan\)"):
        load_config(write_config(config_tree), ["models.generator.noise=.nan"])  # any component's params


def test_a_run_away_loss_warns_while_still_finite(make_poisoned, tmp_path):
    trainer = Trainer(make_poisoned({"scale_from": 3}, steps=5, log_every=1), tmp_path / "run", show_progress=False)
    with pytest.warns(GanforgeWarning, match=r"the run looks diverged: g_loss is .* at step 4, more than 10000 "
                                             r"times its first logged magnitude"):
        trainer.fit()
    watch = DivergenceWatch(factor=100)
    assert watch.check(1, {"g_loss": -3.0, "d_loss": 0.5}) == []  # baselines 3 and 1
    assert watch.check(2, {"g_loss": 250.0, "d_loss": 90.0}) == []
    assert len(watch.check(3, {"g_loss": 301.0, "d_loss": 101.0})) == 2
    assert watch.check(4, {"g_loss": 1e9, "d_loss": 1e9}) == []  # once per loss


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_all_finite_is_exact_in_every_dtype(dtype):
    """A NaN or an Inf anywhere is found; finite values whose sum overflows (the fast
    check's false alarm) are not; integer tensors are skipped; parameters build no graph."""
    from ganforge.finite import all_finite

    big = torch.finfo(dtype).max
    weight = torch.nn.Parameter(torch.ones(4, 3, dtype=dtype))
    finite = [weight, torch.full((5,), big, dtype=dtype), torch.arange(3)]
    assert all_finite(finite) and all_finite([]) and all_finite([torch.arange(3)])
    for bad in (float("nan"), float("inf"), -float("inf")):
        poisoned = torch.zeros(7, dtype=dtype)
        poisoned[5] = bad
        assert not all_finite([*finite, poisoned])
    assert weight.grad is None

"""The training loop end to end on the tiny plugin (in-process, CPU, milliseconds per step)."""

from __future__ import annotations

import json

import pytest
import torch

from ganforge import Condition
from ganforge.errors import ConfigError
from ganforge.trainer import NonFiniteLoss, Trainer, latest_checkpoint, list_checkpoints, load_checkpoint, train


def weights(run) -> dict[str, torch.Tensor]:
    return {f"{role}.{k}": v.clone() for role, m in run.models.items() for k, v in m.state_dict().items()}


def test_same_seed_same_weights_other_seed_differs(make_exp, tmp_path):
    a = weights(train(make_exp(), tmp_path / "a", show_progress=False))
    b = weights(train(make_exp(), tmp_path / "b", show_progress=False))
    c = weights(train(make_exp(seed=4), tmp_path / "c", show_progress=False))
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], c[k]) for k in a)


def test_both_players_learn_and_run_folder_is_complete(make_exp, tmp_path):
    exp = make_exp(steps=6)
    trainer = Trainer(exp, tmp_path / "run", show_progress=False)
    before = weights(trainer.run)
    run = trainer.fit()
    after = weights(run)
    for role in ("generator", "discriminator"):
        assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith(role)), role
    out = tmp_path / "run"
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [1, 2, 3, 4, 5, 6]
    assert {"d_loss", "g_loss", "d_real", "l1"} <= set(lines[0])
    assert lines[-1]["l1"] < lines[0]["l1"]  # the L1 term pulls G towards the targets
    assert sorted(p.name for p in (out / "samples").iterdir()) == [
        "step_00000000.png", "step_00000003.png", "step_00000006.png"]
    assert [p.name for p in list_checkpoints(out / "checkpoints")] == ["step_00000003.pt", "step_00000006.pt"]
    assert (out / "config.yaml").read_text().startswith("plugins: []\ndata:\n  type: tiny_shapes")
    assert (out / "index.html").exists()


def test_checkpoint_contents_load_with_weights_only(make_exp, tmp_path):
    run = train(make_exp(keep_last=1, ema={"enabled": True, "beta": 0.9}), tmp_path / "run", show_progress=False)
    assert [p.name for p in list_checkpoints(tmp_path / "run" / "checkpoints")] == ["step_00000006.pt"]
    state = load_checkpoint(latest_checkpoint(tmp_path / "run"))  # torch.load(weights_only=True) inside
    assert state["step"] == 6 and state["world_size"] == 1
    assert state["data"] == {"epoch": 1, "batch": 2}  # 16 samples / batch 4 = 4 batches per epoch
    assert set(state["models"]) == {"generator", "discriminator"} and set(state["ema"]) == {"generator"}
    assert set(state["optimizers"]) == {"generator", "discriminator"}
    assert state["optimizers"]["generator"]["param_groups"][0]["betas"] == (0.0, 0.9)
    assert isinstance(state["rng"][0]["torch"], torch.Tensor)
    assert state["config"]["train"]["steps"] == 6
    for k, v in state["models"]["generator"].items():
        assert torch.equal(v, run.models["generator"].state_dict()[k])
    for k, v in state["ema"]["generator"].items():
        assert torch.equal(v, run.ema["generator"].state_dict()[k])
        assert not torch.equal(v, state["models"]["generator"][k])


def test_nan_guard_stops_before_the_update_and_keeps_last_good(make_exp, config_tree, tmp_path):
    config_tree["strategy"] = {"type": "tiny_recipe", "poison_step": 4}
    trainer = Trainer(make_exp(config_tree, steps=8), tmp_path / "run", show_progress=False)
    with pytest.raises(NonFiniteLoss) as err:
        trainer.fit()
    text = str(err.value)
    assert "the generator loss is nan at step 5" in text
    assert "the last good checkpoint is" in text and "step_00000003.pt" in text
    assert [p.name for p in list_checkpoints(tmp_path / "run" / "checkpoints")] == ["step_00000003.pt"]
    assert trainer.run.step == 4  # the poisoned step did not complete
    assert all(torch.isfinite(p).all() for p in trainer.run.models["generator"].parameters())
    assert (tmp_path / "run" / "index.html").exists()  # the report shows what happened


def test_existing_run_needs_resume_and_same_networks(make_exp, tmp_path, config_tree):
    train(make_exp(steps=3), tmp_path / "run", show_progress=False)
    with pytest.raises(ConfigError, match="already holds checkpoints .*pass --resume"):
        Trainer(make_exp(steps=3), tmp_path / "run", show_progress=False)
    config_tree["models"]["generator"] = {"type": "tiny_gen", "ch": 4}
    with pytest.raises(ConfigError, match="cannot resume, the config changed in models"):
        Trainer(make_exp(config_tree, steps=6), tmp_path / "run", resume=True, show_progress=False)
    run = train(make_exp(steps=5), tmp_path / "run", resume=True, show_progress=False)  # more steps is fine
    assert run.step == 5


def test_resume_in_process_is_bit_identical(make_exp, tmp_path):
    full = weights(train(make_exp(steps=6), tmp_path / "full", show_progress=False))
    train(make_exp(steps=3), tmp_path / "part", show_progress=False)
    resumed = weights(train(make_exp(steps=6), tmp_path / "part", resume=True, show_progress=False))
    assert all(torch.equal(full[k], resumed[k]) for k in full)


def test_extra_strategies_state_resumes_exactly(make_exp, tmp_path, config_tree):
    config_tree["strategies"] = ["count_steps"]
    full = Trainer(make_exp(config_tree, steps=6), tmp_path / "full", show_progress=False)
    full.fit()
    Trainer(make_exp(config_tree, steps=3), tmp_path / "part", show_progress=False).fit()
    resumed = Trainer(make_exp(config_tree, steps=6), tmp_path / "part", resume=True, show_progress=False)
    assert int(resumed.strategies[1].steps_seen) == 3
    resumed.fit()
    a, b = full.strategies[1], resumed.strategies[1]
    assert int(b.steps_seen) == 6
    assert torch.equal(a.estimate, b.estimate) and a.estimate != 0
    assert torch.equal(a.optimizer.state_dict()["state"][0]["exp_avg_sq"],
                       b.optimizer.state_dict()["state"][0]["exp_avg_sq"])


def test_sample_grids_see_batches_prepared_as_in_training(make_exp, tmp_path, config_tree):
    config_tree["strategies"] = ["count_steps"]
    trainer = Trainer(make_exp(config_tree, steps=6, sample_every=3), tmp_path / "run", show_progress=False)
    trainer.fit()
    assert len(list((tmp_path / "run" / "samples").glob("step_*.png"))) == 3  # steps 0, 3 and 6
    # a sample at step 0, a training step, ... : sampling is prepared with run.training False
    assert trainer.strategies[1].prepared == [False] + [True] * 3 + [False] + [True] * 3 + [False]
    assert trainer.run.training
    assert "prepared" not in trainer.sample_batch  # the fixed batch is prepared afresh each time


def test_bf16_autocast_on_cpu_and_fp16_refused(make_exp, tmp_path):
    trainer = Trainer(make_exp(steps=2, precision="bf16"), tmp_path / "bf16", show_progress=False)
    assert trainer.run.amp_dtype == torch.bfloat16
    with trainer.run.autocast():
        assert torch.get_autocast_dtype("cpu") == torch.bfloat16 and torch.is_autocast_enabled("cpu")
    trainer.fit()
    lines = [json.loads(x) for x in (tmp_path / "bf16" / "metrics.jsonl").read_text().splitlines()]
    assert all(torch.isfinite(torch.tensor(r["g_loss"])) for r in lines)
    with pytest.raises(ConfigError, match="fp16 needs a CUDA device"):
        Trainer(make_exp(precision="fp16", device="cpu"), tmp_path / "fp16", show_progress=False)


def test_lazy_r1_is_logged_every_interval(make_exp, tmp_path):
    train(make_exp(steps=5, r1={"gamma": 10.0, "interval": 2}), tmp_path / "run", show_progress=False)
    lines = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [("r1" in r) for r in lines] == [True, False, True, False, True]  # steps 0, 2, 4 (0-based)
    assert all(r["r1"] > 0 for r in lines if "r1" in r)


def test_linear_schedule_reaches_zero_at_the_end(make_exp, config_tree, tmp_path):
    config_tree["schedule"] = {"type": "linear", "decay_steps": 4}
    trainer = Trainer(make_exp(config_tree, steps=6), tmp_path / "run", show_progress=False)
    seen = []
    original = trainer.train_step

    def record(raw):
        out = original(raw)
        seen.append(trainer.optimizers["generator"].param_groups[0]["lr"])
        return out

    trainer.train_step = record
    trainer.fit()
    assert seen == pytest.approx([1e-3, 1e-3, 1e-3, 0.75e-3, 0.5e-3, 0.25e-3])


def test_channels_last_trains_the_same_networks(make_exp, tmp_path):
    trainer = Trainer(make_exp(steps=3, channels_last=True), tmp_path / "cl", show_progress=False)
    weight = trainer.run.models["generator"].body[0].weight
    assert weight.is_contiguous(memory_format=torch.channels_last)
    assert trainer.sample_batch["image"].is_contiguous(memory_format=torch.channels_last)
    fast = weights(trainer.fit())
    plain = weights(train(make_exp(steps=3), tmp_path / "plain", show_progress=False))
    for k in plain:
        torch.testing.assert_close(fast[k], plain[k], rtol=1e-4, atol=1e-5)


def test_periodic_evaluation_uses_the_same_batches_every_time(make_exp, config_tree, tmp_path):
    config_tree["eval"] = {"metrics": ["tiny_l1"], "batches": 2}
    trainer = Trainer(make_exp(config_tree, steps=4, eval_every=2, ema={"enabled": True}), tmp_path / "run",
                      show_progress=False)
    trainer.fit()
    lines = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in lines if r["kind"] == "eval"]
    assert [r["step"] for r in evals] == [2, 4]
    assert trainer.evaluate() == {"l1_error": evals[-1]["l1_error"]}  # fixed batches, fixed noise
    generator = trainer.run.ema["generator"].eval()
    with torch.no_grad():
        torch.manual_seed(trainer.cfg.seed)  # the evaluation's forked RNG starts from the seed
        fakes, reals = [], []
        for i in range(0, 8, 4):
            batch = torch.utils.data.default_collate([trainer.dataset[j] for j in range(i, i + 4)])
            fakes.append(generator(Condition(label=batch["label"])))
            reals.append(batch["image"])
    expected = (torch.cat(fakes) - torch.cat(reals)).abs().mean().item()
    assert evals[-1]["l1_error"] == pytest.approx(expected, rel=1e-5)


def test_loader_workers_see_the_same_samples(make_exp, tmp_path):
    """Samples depend on their index only, so worker processes change nothing."""
    inline = weights(train(make_exp(steps=3, num_workers=0), tmp_path / "inline", show_progress=False))
    workers = weights(train(make_exp(steps=3, num_workers=1), tmp_path / "workers", show_progress=False))
    assert all(torch.equal(inline[k], workers[k]) for k in inline)


def test_metrics_after_a_resume_off_the_log_grid_read_as_one_run(make_exp, tmp_path):
    import shutil

    def lines(run_dir):
        return [{k: v for k, v in json.loads(line).items() if k not in ("time", "elapsed")}
                for line in (run_dir / "metrics.jsonl").read_text().splitlines()]

    settings = dict(steps=8, log_every=2, checkpoint_every=3, keep_last=5)
    train(make_exp(**settings), tmp_path / "full", show_progress=False)
    shutil.copytree(tmp_path / "full", tmp_path / "part")  # as if stopped right after step 3
    for path in list_checkpoints(tmp_path / "part" / "checkpoints"):
        if "00000003" not in path.name:
            path.unlink()
    assert [p.name for p in list_checkpoints(tmp_path / "part" / "checkpoints")] == ["step_00000003.pt"]
    train(make_exp(**settings), tmp_path / "part", resume=True, show_progress=False)
    full = lines(tmp_path / "full")
    assert [r["step"] for r in full if r["kind"] == "train"] == [2, 4, 6, 8]
    assert lines(tmp_path / "part") == full  # step 4's mean includes step 3, logged before the resume


def test_resume_may_change_optimiser_settings_and_records_them(make_exp, config_tree, tmp_path):
    train(make_exp(steps=3), tmp_path / "run", show_progress=False)
    config_tree["optim"]["generator"]["lr"] = 1e-4
    config_tree["optim"]["generator"]["betas"] = [0.5, 0.99]
    trainer = Trainer(make_exp(config_tree, steps=5), tmp_path / "run", resume=True, show_progress=False)
    opt = trainer.optimizers["generator"]
    assert {(g["lr"], g["base_lr"], g["betas"]) for g in opt.param_groups} == {(1e-4, 1e-4, (0.5, 0.99))}
    assert all(opt.state[p]["step"] == 3 for g in opt.param_groups for p in g["params"])  # moments kept
    assert {g["lr"] for g in trainer.optimizers["discriminator"].param_groups} == {2e-3}
    records = [json.loads(line) for line in (tmp_path / "run" / "changes.jsonl").read_text().splitlines()]
    assert records == [{"field": "optim.generator.lr", "old": 1e-3, "new": 1e-4, "step": 3},
                       {"field": "optim.generator.betas", "old": [0.0, 0.9], "new": [0.5, 0.99], "step": 3}]
    assert "changed on resume at step 3: optim.generator.lr 0.001 -> 0.0001" in (tmp_path / "run" / "train.log").read_text()
    trainer.fit()
    assert {g["lr"] for g in opt.param_groups} == {1e-4}
    config_tree["optim"]["generator"] = {"type": "rmsprop", "lr": 1e-4}
    with pytest.raises(ConfigError, match="the optimisers or their types changed in optim"):
        Trainer(make_exp(config_tree, steps=6), tmp_path / "run", resume=True, show_progress=False)


def test_resuming_an_older_checkpoint_restates_its_changes(make_exp, config_tree, tmp_path):
    """changes.jsonl, like metrics.jsonl, forgets what happened after the checkpoint resumed from."""
    run = tmp_path / "run"
    train(make_exp(steps=3, checkpoint_every=3, keep_last=5), run, show_progress=False)
    config_tree["optim"]["generator"]["lr"] = 1e-4
    train(make_exp(config_tree, steps=6, checkpoint_every=3, keep_last=5), run, resume=True, show_progress=False)
    config_tree["optim"]["generator"]["lr"] = 5e-5
    train(make_exp(config_tree, steps=8, checkpoint_every=3, keep_last=5), run, resume=True, show_progress=False)
    records = [json.loads(line) for line in (run / "changes.jsonl").read_text().splitlines()]
    assert [(r["step"], r["old"], r["new"]) for r in records] == [(3, 1e-3, 1e-4), (6, 1e-4, 5e-5)]
    for path in list_checkpoints(run / "checkpoints"):
        if "00000003" not in path.name:
            path.unlink()  # as if the run had died before its step-6 checkpoint
    config_tree["optim"]["generator"]["lr"] = 2e-4
    train(make_exp(config_tree, steps=4, checkpoint_every=3, keep_last=5), run, resume=True, show_progress=False)
    records = [json.loads(line) for line in (run / "changes.jsonl").read_text().splitlines()]
    assert [(r["step"], r["old"], r["new"]) for r in records] == [(3, 1e-3, 2e-4)]

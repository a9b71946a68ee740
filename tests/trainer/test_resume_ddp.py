"""Process-level guarantees, in real subprocesses through the ``ganforge`` CLI:

* a ``ganforge train`` process SIGKILLed mid-way and resumed with ``--resume`` ends
  bit-identical to an uninterrupted run (weights, EMA, optimiser state, RNG, data
  position, metrics.jsonl);
* two processes under torchrun (gloo) with the global batch split between them train
  the same weights as one process with the whole batch.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest
import torch

from conftest import subprocess_env
from ganforge.cli_train import train_command
from ganforge.trainer import latest_checkpoint, load_checkpoint, train

CLI = [sys.executable, "-m", "ganforge.cli"]


def run_cli(args, env=None, timeout=120):
    return subprocess.run([*CLI, *map(str, args)], env=env or subprocess_env(), capture_output=True, text=True,
                          timeout=timeout)


def final_state(run_dir):
    return load_checkpoint(latest_checkpoint(run_dir))


def assert_tensors_equal(a, b, path="state"):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            assert_tensors_equal(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_tensors_equal(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


def metrics_without_time(run_dir):
    return [{k: v for k, v in json.loads(line).items() if k != "time"}
            for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_killed_run_resumes_bit_identically(make_exp, config_tree, write_config, tmp_path):
    config_tree["train"].update(steps=10, checkpoint_every=4, sample_every=5, ema={"enabled": True, "beta": 0.8})
    config = write_config(config_tree)
    reference = tmp_path / "reference"
    train(make_exp(config_tree), reference, show_progress=False)  # in-process, one thread, like the child

    out = tmp_path / "run"
    killed = run_cli(["train", config, "--out", out, "--no-progress"], env={**subprocess_env(), "TINY_KILL_AT": "6"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert latest_checkpoint(out).name == "step_00000004.pt"  # steps 5 and 6 were lost with the process
    assert max(r["step"] for r in metrics_without_time(out)) == 5  # logged after step 4: dropped on resume

    train_command(str(config), [], str(out), resume=True, show_progress=False)  # what `train --resume` runs
    expected, got = final_state(reference), final_state(out)
    assert got["step"] == 10
    for key in ("models", "ema", "optimizers", "scalers", "data", "rng"):
        assert_tensors_equal(expected[key], got[key], key)
    assert metrics_without_time(out) == metrics_without_time(reference)


def test_sigterm_stops_at_a_step_boundary_with_a_checkpoint_that_resumes_exactly(make_exp, config_tree,
                                                                                 write_config, tmp_path):
    config_tree["train"].update(steps=10, checkpoint_every=4, sample_every=5)
    config = write_config(config_tree)
    reference = tmp_path / "reference"
    train(make_exp(config_tree), reference, show_progress=False)

    out = tmp_path / "run"
    stopped = run_cli(["train", config, "--out", out, "--no-progress"], env={**subprocess_env(), "TINY_TERM_AT": "6"})
    assert stopped.returncode == 2, stopped.stderr
    assert "stopped by SIGTERM after step 6; checkpoint" in stopped.stderr and "--resume" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert latest_checkpoint(out).name == "step_00000006.pt"  # nothing lost

    train_command(str(config), [], str(out), resume=True, show_progress=False)
    expected, got = final_state(reference), final_state(out)
    for key in ("models", "optimizers", "data", "rng"):
        assert_tensors_equal(expected[key], got[key], key)


def test_two_gloo_processes_equal_one_process_with_the_global_batch(make_exp, config_tree, write_config, tmp_path):
    config_tree["models"]["generator"] = {"type": "tiny_gen", "noise": 0.0}  # per-rank noise would differ
    config_tree["train"].update(steps=4, batch_size=4, checkpoint_every=0, sample_every=0)
    for optim in config_tree["optim"].values():
        # Adam divides by sqrt(v) + eps: with the default eps a gradient near zero turns a
        # rounding difference of the (reordered) sum into a full-size step of either sign.
        optim["eps"] = 1e-3
    config = write_config(config_tree)
    single = train(make_exp(config_tree), tmp_path / "single", show_progress=False)

    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "ganforge.cli", "train", str(config), "--out", str(out), "--no-progress"]
    proc = subprocess.run(cmd, env=subprocess_env(), capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = final_state(out)
    assert state["world_size"] == 2 and len(state["rng"]) == 2
    for role, module in single.models.items():
        for name, value in module.state_dict().items():
            torch.testing.assert_close(state["models"][role][name], value, rtol=1e-5, atol=1e-6,
                                       msg=f"{role}.{name}")
    ddp_logs, one_logs = metrics_without_time(out), metrics_without_time(tmp_path / "single")
    assert [r["step"] for r in ddp_logs] == [1, 2, 3, 4]
    for a, b in zip(ddp_logs, one_logs):  # logs are averaged over ranks: the global batch's values
        assert a["d_loss"] == pytest.approx(b["d_loss"], rel=1e-5) and a["l1"] == pytest.approx(b["l1"], rel=1e-5)

"""ganforge.testing.short_run: the real trainer's steps, their logs, no run files."""

import pytest

from ganforge.testing import short_run, window_means


def test_short_run_returns_each_steps_logs_and_learns(registry, config_tree, tmp_path):
    config_tree["train"]["batch_size"] = 8
    logs = short_run(config_tree, tmp_path / "run", steps=40, overrides=["optim.generator.lr=0.01"])
    assert len(logs) == 40
    assert {"g_loss", "d_loss", "l1"} <= set(logs[0])
    first, last = window_means(logs, "l1", 10)
    assert last < 0.8 * first
    assert not list((tmp_path / "run").glob("checkpoints/*.pt"))


def test_window_means_needs_two_windows(registry):
    logs = [{"loss": 1.0}, {"loss": 0.5}, {"loss": 0.25}]
    assert window_means(logs, "loss", 1) == (1.0, 0.25)
    with pytest.raises(ValueError, match="'loss' logged in 3 steps; need at least 4"):
        window_means(logs, "loss", 2)

"""Training logs: a bar on a terminal, plain lines elsewhere, the same lines in train.log,
TensorBoard scalars under the report's groups."""

import io
import sys

import pytest

from ganforge.report.groups import group_of, tag
from ganforge.trainer import Trainer


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [False, True])
def test_console_and_train_log(make_exp, tmp_path, monkeypatch, terminal):
    err = Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    run_dir = tmp_path / "run"
    Trainer(make_exp(steps=4, log_every=2, sample_every=0, checkpoint_every=0), run_dir).fit()
    log = (run_dir / "train.log").read_text().splitlines()
    steps = [line for line in log if "] step " in line]
    assert [line.split(" | ")[0].split("] ")[1] for line in steps] == ["step 2/4", "step 4/4"]
    assert all(" it/s" in line and "g_loss " in line and "d_real " in line for line in steps)
    assert "started: 4 steps on cpu" in log[0] and "finished at step 4" in log[-1]
    console = err.getvalue()
    if terminal:  # the bar's frames, and the losses on it; no per-step lines
        assert "\r" in console and "4/4" in console and steps[0] not in console
    else:  # no bar frames in a file: the very lines of train.log
        assert "\r" not in console and console.splitlines() == log


def test_no_progress_keeps_the_console_quiet_but_writes_train_log(make_exp, tmp_path, monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    Trainer(make_exp(steps=2, log_every=1, sample_every=0, checkpoint_every=0), tmp_path / "r",
            show_progress=False).fit()
    assert err.getvalue() == "" and "step 2/2" in (tmp_path / "r" / "train.log").read_text()


def test_tensorboard_scalars_are_grouped_like_the_report(make_exp, tmp_path, monkeypatch):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    Trainer(make_exp(steps=3, log_every=1, sample_every=0, checkpoint_every=0), tmp_path / "run").fit()
    events = EventAccumulator(str(tmp_path / "run" / "tensorboard"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"losses/g_loss", "losses/d_loss", "losses/l1", "D outputs/d_real"} <= tags
    assert [e.step for e in events.Scalars("losses/g_loss")] == [1, 2, 3]


@pytest.mark.parametrize("name, kind, group", [
    ("g_loss", "train", "losses"), ("d_loss", "train", "losses"), ("g_feat", "train", "losses"),
    ("d_real", "train", "D outputs"), ("d_fake", "train", "D outputs"), ("r1", "train", "regularisers"),
    ("kld", "train", "regularisers"), ("an_orth", "train", "regularisers"), ("gp", "train", "regularisers"),
    ("lambda_ds", "train", "schedules"), ("fid", "eval", "metrics"), ("lpips", "eval", "metrics"),
    ("extra/thing", "train", "extra")])
def test_scalar_groups(name, kind, group):
    assert group_of(name, kind) == group
    assert tag(name, kind) == (name if "/" in name else f"{group}/{name}")


def test_metric_warnings_reach_train_log_once(tmp_path, monkeypatch):
    import warnings

    from ganforge.metrics import SampleSizeWarning
    from ganforge.trainer.progress import Progress

    err = io.StringIO()
    progress = Progress(tmp_path, total=10, start=0, enabled=True, stream=err)
    for _ in range(2):  # two periodic evaluations, one line
        with progress.warnings_to_log():
            warnings.warn("metric 'fid': 16 fake samples for 128-d features", SampleSizeWarning)
    with pytest.warns(UserWarning, match="not ours"), progress.warnings_to_log():
        warnings.warn("not ours", UserWarning)  # others pass on untouched
    progress.close()
    log = (tmp_path / "train.log").read_text()
    assert log.count("warning: metric 'fid': 16 fake samples") == 1 and "not ours" not in log
    assert err.getvalue().splitlines() == log.splitlines()

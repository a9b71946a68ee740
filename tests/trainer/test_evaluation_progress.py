"""The bar over evaluation batches: shown on a terminal, quiet otherwise and when off."""

import io
import sys

import pytest

from ganforge.cli_train import eval_command
from ganforge.trainer import Trainer


class Terminal(io.StringIO):
    """stderr as an interactive terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def trained(make_exp, config_tree, tmp_path):
    """A 2-step run with the tiny metric over 2 evaluation batches, and a checkpoint."""
    config_tree["eval"] = {"metrics": ["tiny_l1"], "batches": 2}
    exp = make_exp(config_tree, steps=2, checkpoint_every=2, sample_every=0)
    Trainer(exp, tmp_path / "run", show_progress=False).fit()
    return exp, tmp_path / "run"


@pytest.mark.parametrize("terminal, enabled, shown", [(True, True, True), (False, True, False), (True, False, False)])
def test_periodic_evaluation_bar(trained, tmp_path, monkeypatch, terminal, enabled, shown):
    exp, _ = trained
    trainer = Trainer(exp, tmp_path / f"again_{terminal}_{enabled}", show_progress=enabled)
    err = Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    values = trainer.evaluate()
    trainer.progress.close()
    assert set(values) == {"l1_error"}
    assert ("evaluating" in err.getvalue()) is shown
    if shown:
        assert "0/2 " in err.getvalue()  # counts batches: as many as eval.batches


def test_eval_command_bar_only_on_a_terminal(trained, monkeypatch):
    _, run_dir = trained
    outputs = {}
    for terminal in (True, False):
        err = Terminal() if terminal else io.StringIO()
        monkeypatch.setattr(sys, "stderr", err)
        outputs[terminal] = (eval_command(str(run_dir), progress=True), err.getvalue())
    assert outputs[True][0] == outputs[False][0]  # the bar changes nothing in the numbers
    assert "evaluating" in outputs[True][1] and "batch" in outputs[True][1]
    assert outputs[False][1] == ""

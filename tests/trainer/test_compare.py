"""`ganforge compare`: two runs with different learning rates, their numbers at matching
steps, the overlay page, fresh metrics on the same batches."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from ganforge import cli_train
from ganforge import compare as cmp
from ganforge.cli_train import eval_command
from ganforge.errors import DataError
from ganforge.trainer import train


@pytest.fixture
def two_runs(make_exp, config_tree, tmp_path):
    config_tree["eval"] = {"metrics": ["tiny_l1"], "batches": 2}
    runs = []
    for name, lr in (("lr_slow", 1e-4), ("lr_fast", 1e-2)):
        config_tree["optim"]["generator"]["lr"] = lr
        exp = make_exp(config_tree, steps=4, eval_every=2, log_every=1, sample_every=0, checkpoint_every=4)
        train(exp, tmp_path / name, show_progress=False)
        runs.append(tmp_path / name)
    return runs


def test_tables_at_matching_steps(two_runs):
    runs = cmp.load_runs(two_runs)
    head, rows = cmp.eval_table(runs)
    assert head == ["step", "metric", "lr_slow", "lr_fast"]
    assert [r[:2] for r in rows] == [[2, "l1_error"], [4, "l1_error"]]
    logged = [json.loads(line) for line in (two_runs[1] / "metrics.jsonl").read_text().splitlines()]
    assert rows[1][3] == next(r["l1_error"] for r in logged if r["kind"] == "eval" and r["step"] == 4)
    assert rows[1][2] != rows[1][3]  # different learning rates, different numbers
    step, t_head, t_rows = cmp.train_table(runs)
    g_loss = [r["g_loss"] for r in logged if r["kind"] == "train"]
    assert step == 4 and t_head == ["scalar", "lr_slow", "lr_fast"]
    assert dict((r[0], r[2]) for r in t_rows)["g_loss"] == pytest.approx(sum(g_loss[-4:]) / 4)


def test_page_overlays_every_run(two_runs):
    html = cmp.render(cmp.load_runs(two_runs))
    losses = html.split("<h3>losses</h3>")[1].split("</section>")[0]
    assert losses.count('aria-label="g_loss"') == 1 and ">lr_slow</text>" in losses and ">lr_fast</text>" in losses
    assert "<h3>metrics</h3>" in html and "Evaluation at common steps" in html and "differ" not in html


def test_cli_prints_tables_writes_the_page_and_computes_fresh_metrics(two_runs, tmp_path):
    group = click.Group()
    cli_train.add_commands(group)
    out = tmp_path / "cmp.html"
    result = CliRunner().invoke(group, ["compare", *map(str, two_runs), "--out", str(out), "--metrics", "tiny_l1"])
    assert result.exit_code == 0, result.output
    assert "evaluation at the steps every run logged" in result.output and "training scalars at step 4" in result.output
    section = result.output.split("fresh metrics")[1].split("\n\n")[0]
    fresh = [line.split() for line in section.splitlines() if line.startswith("l1")]
    assert fresh == [["l1_error", *[f"{eval_command(str(r))['l1_error']:.5g}" for r in two_runs]]]
    assert out.read_text().startswith("<!DOCTYPE html>") and "Fresh metrics" in out.read_text()
    result = CliRunner().invoke(group, ["compare", *map(str, two_runs), "--out", str(out), "--json"])
    assert json.loads(result.output)["train"]["step"] == 4


def test_not_a_run_folder_is_named(two_runs, tmp_path):
    with pytest.raises(DataError, match=f"{tmp_path}: no metrics.jsonl"):
        cmp.load_runs([two_runs[0], tmp_path])
    with pytest.raises(DataError, match="at least two"):
        cmp.load_runs([two_runs[0]])

"""train / sample / params / demo through click, on a local group as ganforge.cli adds them."""

from __future__ import annotations

import json
import sys

import click
import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from PIL import Image

from ganforge import cli_train
from ganforge.errors import ComponentNotFound, DataError, GanforgeError


@pytest.fixture
def cli():
    @click.group()
    def group():
        """test group"""

    cli_train.add_commands(group)
    return group


def invoke(cli, *args):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=True)
    return result


def conv_params(cin, cout, k=3):
    return cin * cout * k * k + cout


def test_params_json_counts_every_role(registry, cli, write_config, config_tree):
    result = invoke(cli, "params", write_config(config_tree), "--json", "--set", "models.encoder=tiny_enc",
                    "--set", "models.generator.use_style=true")
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    generator = conv_params(3 + 1 + 4, 8) + conv_params(8, 3)  # one-hot + noise + style -> ch -> RGB
    discriminator = conv_params(3 + 3, 8) + conv_params(8, 1)
    assert counts == {"generator": {"total": generator, "trainable": generator},
                      "discriminator": {"total": discriminator, "trainable": discriminator},
                      "encoder": {"total": 3 * 4 + 4, "trainable": 3 * 4 + 4}}
    table = invoke(cli, "params", write_config(config_tree))
    assert table.exit_code == 0
    plain = conv_params(3 + 1, 8) + conv_params(8, 3)
    assert table.output.splitlines()[1].split() == ["generator", f"{plain:,}", f"{plain:,}"]


def test_params_warns_of_wiring_errors_and_still_counts(registry, cli, write_config, config_tree):
    """`params` compares sizes before any data exists: a field the data lacks is a warning
    naming the component (`train` refuses it), and the networks are counted anyway."""
    result = invoke(cli, "params", write_config(config_tree), "--set", "models.generator.needs_instance=true")
    assert result.exit_code == 0, result.output
    assert "models.generator: generator 'tiny_gen' needs condition field 'instance'" in result.output
    assert "generator" in result.output and "discriminator" in result.output


def test_train_then_sample_from_dataset_and_label_files(registry, cli, write_config, config_tree, tmp_path):
    config = write_config(config_tree)
    out = tmp_path / "run"
    result = invoke(cli, "train", config, "--out", out, "--set", "train.steps=3", "--no-progress")
    assert result.exit_code == 0, result.output
    assert f"report: {out / 'index.html'}" in result.output
    again = invoke(cli, "train", config, "--out", out, "--set", "train.steps=4", "--resume", "--no-progress")
    assert again.exit_code == 0, again.output

    result = invoke(cli, "sample", out, "--n", "3")
    assert result.exit_code == 0, result.output
    with Image.open(out / "generated_step_00000004.png") as im:
        assert im.size == (3 * 10 + 2, 2 * 10 + 2)  # the recipe's sample: a row of real, a row of generated

    labels = []
    for i in range(2):
        path = tmp_path / f"label{i}.png"
        arr = np.zeros((16, 16), np.uint8)
        arr[4:12, 4:12] = i + 1
        Image.fromarray(arr).save(path)
        labels += ["--labels", path]
    target = tmp_path / "from_labels.png"
    result = invoke(cli, "sample", out / "checkpoints" / "step_00000004.pt", *labels, "--out", target)
    assert result.exit_code == 0, result.output
    assert "rows, top to bottom: label map, generated (from_labels.json)" in result.output
    with Image.open(target) as im:
        assert im.size == (2 * 10 + 2, 2 * 10 + 2)  # resized to the run's 8x8: the maps, then the images
        grid = np.asarray(im)
    assert grid[2:10, 2:10][4, 4].tolist() == [128, 0, 0]  # class 1 in the fixed palette

    bad = tmp_path / "bad.png"
    Image.fromarray(np.full((8, 8), 7, np.uint8)).save(bad)
    result = invoke(cli, "sample", out, "--labels", bad)
    assert isinstance(result.exception, DataError) and "label id 7 >= 3 (label_nc 3)" in str(result.exception)


def test_sample_of_a_recipe_without_a_sample_hook_uses_the_conditioning_path(registry, cli, write_config,
                                                                          config_tree, tmp_path, monkeypatch):
    """A recipe that implements no ``ganforge_sample`` gets the trainer's own rows: the label
    map, the EMA generator's images through `Run.generate`, the real images."""
    import tiny_plugin

    from ganforge.testing.official import grid_rows

    out = tmp_path / "run"
    result = invoke(cli, "train", write_config(config_tree), "--out", out, "--set", "train.steps=3", "--no-progress")
    assert result.exit_code == 0, result.output
    monkeypatch.delattr(tiny_plugin.TinyRecipe, "ganforge_sample")
    result = invoke(cli, "sample", out, "--n", "3", "--out", tmp_path / "grid.png")
    assert result.exit_code == 0, result.output
    assert "rows, top to bottom: label map, generated, real (grid.json)" in result.output
    rows = grid_rows(tmp_path / "grid.png")
    assert rows["generated"].shape == rows["real"].shape == (3, 8, 8, 3)
    assert not (rows["generated"] == rows["real"]).all()


def test_sample_needs_a_checkpoint(registry, cli, tmp_path):
    result = invoke(cli, "sample", tmp_path)
    assert isinstance(result.exception, GanforgeError) and "no checkpoints in" in str(result.exception)


def test_demo_trains_the_spade_package_config(registry, cli, monkeypatch, tmp_path, config_tree):
    """`ganforge demo` finds synthetic_demo.yaml in the installed ganforge_spade package (here
    a stand-in holding the tiny config), trains it briefly and says where the report is."""
    package = tmp_path / "site" / "ganforge_spade"
    (package / "configs").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    config_tree["eval"] = {"metrics": ["tiny_l1"], "batches": 1}
    (package / "configs" / "synthetic_demo.yaml").write_text(yaml.safe_dump(config_tree))
    # The stand-in must not outlive the test (a later test's `ganforge demo` would import it): undone
    # last-first, setitem's undo drops whatever module the test imported, then delitem's restores the real one.
    monkeypatch.delitem(sys.modules, "ganforge_spade", raising=False)
    monkeypatch.setitem(sys.modules, "ganforge_spade", None)
    del sys.modules["ganforge_spade"]
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert cli_train.demo_config() == package / "configs" / "synthetic_demo.yaml"
    out = tmp_path / "demo"
    result = invoke(cli, "demo", "--out", out, "--steps", 4)
    assert result.exit_code == 0, result.output
    assert f"Open {out.resolve() / 'index.html'} in a browser" in result.output
    assert "evaluation at step 4: l1_error " in result.output
    assert sorted(p.name for p in (out / "samples").glob("*.png")) == [f"step_{s:08d}.png" for s in range(5)]
    assert (out / "index.html").exists()


def test_eval_of_a_checkpoint_reproduces_the_runs_periodic_evaluation(registry, cli, write_config, config_tree,
                                                                        tmp_path):
    config_tree["eval"] = {"metrics": ["tiny_l1"], "batches": 2}
    config_tree["train"].update(ema={"enabled": True}, eval_every=2)
    out = tmp_path / "run"
    result = invoke(cli, "train", write_config(config_tree), "--out", out, "--set", "train.steps=4", "--no-progress")
    assert result.exit_code == 0, result.output
    logged = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    final = [r for r in logged if r["kind"] == "eval"][-1]
    assert final["step"] == 4

    result = invoke(cli, "eval", out, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == pytest.approx({"l1_error": final["l1_error"]}, rel=1e-6)
    one_batch = json.loads(invoke(cli, "eval", out, "--metrics", "tiny_l1", "--batches", "1", "--json").output)
    assert one_batch["l1_error"] != pytest.approx(final["l1_error"], rel=1e-6)  # fewer batches, another mean

    result = invoke(cli, "eval", out, "--metrics", "tiny_l2")
    assert isinstance(result.exception, ComponentNotFound)
    assert "--metrics.0: no metric named 'tiny_l2'" in str(result.exception)

"""``ganforge smis ...`` on a run folder holding a checkpoint in the trainer's format."""

from __future__ import annotations

import re

import click
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import ganforge
from ganforge.config import from_dict, verify
from ganforge.trainer import build_networks
from ganforge.trainer.checkpoint import checkpoint_name, save
from ganforge.scenes import Scene
from ganforge_smis.apps import encode
from ganforge_smis.cli import add_commands, load_run


def tiny_config(tiny, encoder=True) -> dict:
    models = {"generator": tiny["generator"], "discriminator": tiny["discriminator"]}
    if encoder:
        models["encoder"] = tiny["encoder"]
    return {"data": {"type": "synthetic", "resolution": 32, "length": 16, "fields": ["label"], "num_domains": 1,
                     "stuff": ["sky", "ground"], "things": ["disc", "box"]},  # K = 4
            "models": models, "strategy": {"type": "paired_conditional", "vgg": None}}


def write_run(folder, tree, step=3):
    """A run folder with one checkpoint of freshly built networks, as the trainer writes it."""
    exp = from_dict(tree)
    torch.manual_seed(0)
    models, _ = build_networks(exp, verify(exp))
    save(folder / "checkpoints" / checkpoint_name(step),
         {"config": exp.model_dump(mode="json"), "models": {r: m.state_dict() for r, m in models.items()},
          "ema": {}, "step": step})
    return folder


@pytest.fixture
def run_dir(registry, tiny, tmp_path):
    return write_run(tmp_path / "run", tiny_config(tiny))


def invoke(*args):
    group = click.Group("ganforge")
    add_commands(group)
    return CliRunner().invoke(group, ["smis", *map(str, args)])


def grid_size(path):
    with Image.open(path) as im:
        return im.size


@pytest.mark.parametrize("args, name, columns, rows", [
    (["resample", "--image", 0, "--class", 0, "--class", 2, "--n", 3], "resample", 3, 5),
    (["mix", "--image", 0, "--other", 1, "--class", 1], "mix", 1, 5),
    (["manipulate", "--image", 0, "--from", 2, "--to", 3], "manipulate", 1, 5),
    (["morph", "--image", 0, "--other", 1, "--class", 0, "--steps", 3], "morph", 3, 4),
])
def test_applications_write_their_grids(run_dir, args, name, columns, rows):
    result = invoke(args[0], run_dir, *args[1:])
    assert result.exit_code == 0, result.output
    path = run_dir / f"smis_{name}_step_00000003.png"
    assert f"wrote {path}" in result.output and "\nrows, top to bottom: label map, " in result.output
    width, height = grid_size(path)
    assert (width, height) == (34 * columns + 2, 34 * rows + 2)  # 32x32 cells with 2-pixel padding


def test_diversity_prints_mcsd_and_mocd(run_dir):
    result = invoke("diversity", run_dir, "--images", 2, "--n", 2, "--backbone-weights", "none",
                    "--lin-weights", "none")
    assert result.exit_code == 0, result.output
    match = re.fullmatch(r"mcsd: (\S+)  mocd: (\S+)\n", result.output)
    assert match and all(float(v) == float(v) for v in match.groups())  # two numbers, not NaN


def test_resampling_changes_the_class_and_keeps_its_reconstruction(run_dir):
    loaded = load_run(run_dir)
    image, cond = loaded.scenes([Scene(index=0), Scene(index=1)])
    assert image.shape == (2, 3, 32, 32) and cond["label"].shape == (2, 32, 32)
    codes = encode(loaded.encoder, image, cond)
    assert torch.equal(codes, encode(loaded.encoder, image, cond))  # posterior means: deterministic


def test_runs_without_groupdnet_are_refused(registry, tiny, tmp_path):
    tree = tiny_config(tiny, encoder=False)
    folder = write_run(tmp_path / "plain", tree)
    result = invoke("resample", folder, "--image", 0, "--class", 0)
    assert result.exit_code != 0
    assert "need generator 'groupdnet' and encoder 'groupdnet'" in str(result.exception)
    with pytest.raises(ganforge.ConfigError, match=r"sample index 99 outside \[0, "):
        load_run(write_run(tmp_path / "ok", tiny_config(tiny))).scenes([Scene(index=99)])

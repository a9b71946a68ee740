"""``ganforge edgegan compose`` on run folders holding checkpoints in the trainer's format."""

from __future__ import annotations

import click
import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from ganforge.config import from_dict, verify
from ganforge.trainer import build_networks
from ganforge.trainer.checkpoint import checkpoint_name, save
from ganforge_edgegan.cli import edgegan as edgegan_group

DATA = {"type": "synthetic", "resolution": 32, "length": 8, "num_domains": 1, "max_objects": 2,
        "fields": ["instance", "boxes", "class_label", "sketch", "edge"]}


def write_run(folder, tree):
    """A run folder with one checkpoint of freshly built networks, as the trainer writes it."""
    exp = from_dict(tree)
    torch.manual_seed(0)
    models, _ = build_networks(exp, verify(exp))
    save(folder / "checkpoints" / checkpoint_name(1),
         {"config": exp.model_dump(mode="json"), "models": {r: m.state_dict() for r, m in models.items()},
          "ema": {}, "step": 1})
    return folder


@pytest.fixture
def runs(edgegan, tiny, tmp_path):
    fg = write_run(tmp_path / "fg", {"data": DATA, "models": tiny,
                                     "strategy": {"type": "edgegan", "size": 32, "dis_size": 32, "z_dim": 8}})
    bg = write_run(tmp_path / "bg", {"data": DATA, "models": {
        "generator": {"type": "edgegan_background", "ngf": 4, "num_downs": 5},
        "discriminator": {"type": "edgegan_patch", "ndf": 4}}, "strategy": {"type": "edgegan_background"}})
    return fg, bg


def invoke(*args):
    group = click.Group("ganforge")
    group.add_command(edgegan_group)
    return CliRunner().invoke(group, ["edgegan", *map(str, args)])


def test_compose_scenes_of_the_dataset(runs, tmp_path):
    out = tmp_path / "scenes.png"
    result = invoke("compose", *runs, "--index", 0, "--index", 3, "--out", out)
    assert result.exit_code == 0, result.output
    assert "2 scene(s)" in result.output and "rows, top to bottom: scene 0: scene sketch | G_E edges" in result.output
    w, h = Image.open(out).size
    assert w > 5 * 32 and h > 2 * 32 and w < 6 * 32  # 5 columns (with the real scene), 2 rows


def test_compose_from_drawings(runs, tmp_path):
    lines = np.full((32, 32), 255, np.uint8)
    lines[8:24, 12] = 0
    Image.fromarray(lines).save(tmp_path / "objects.png")
    Image.fromarray(np.full((32, 32), 255, np.uint8)).save(tmp_path / "background.png")
    out = tmp_path / "scene.png"
    result = invoke("compose", *runs, "--sketch", tmp_path / "objects.png", "--background-sketch",
                    tmp_path / "background.png", "--box", 1, 0.2, 0.2, 0.6, 0.8, "--out", out)
    assert result.exit_code == 0, result.output
    assert Image.open(out).size[0] < 5 * 32  # 4 columns: no real scene
    bad = invoke("compose", *runs, "--sketch", tmp_path / "objects.png", "--background-sketch",
                 tmp_path / "background.png", "--box", 7, 0.2, 0.2, 0.6, 0.8, "--out", out)
    assert bad.exit_code != 0 and "classes must lie in [0, 5)" in bad.output
    partial = invoke("compose", *runs, "--sketch", tmp_path / "objects.png", "--out", out)
    assert partial.exit_code != 0 and "go together" in partial.output


def test_objects_scores_the_sketch_to_image_path(runs):
    result = invoke("objects", runs[0], "--batches", 1, "--batch-size", 4)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("step 1: swd") and "edge_l1" in result.output
    bad = invoke("objects", runs[1], "--batches", 1)
    assert bad.exit_code != 0 and "(config): EdgeGAN's objects need a foreground run (strategy: edgegan, with " \
        "models.encoder); this run has models.generator: edgegan_background" in str(bad.exception)


def test_compose_refuses_runs_in_the_wrong_places(runs, tmp_path):
    """Through `ganforge.applications.open_app`: each run must be of its recipe."""
    fg, bg = runs
    swapped = invoke("compose", bg, fg, "--out", tmp_path / "x.png")
    assert swapped.exit_code != 0 and "EdgeGAN's objects need a foreground run" in str(swapped.exception)
    twice = invoke("compose", fg, fg, "--out", tmp_path / "x.png")
    assert twice.exit_code != 0 and "EdgeGAN's backgrounds need a background run (strategy: edgegan_background); " \
        "this run has models.generator: edgegan" in str(twice.exception)

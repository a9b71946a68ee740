"""``ganforge attentive-norm ...`` on run folders holding a checkpoint in the trainer's format."""

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
from ganforge_attentive_norm.cli import add_commands

CLASSES = {"data": {"type": "synthetic", "resolution": 32, "length": 8, "fields": ["class_label"], "num_domains": 1},
           "models": {"generator": {"type": "an_biggan", "ch": 2, "dim_z": 8, "shared_dim": 4, "an_resolutions": [16],
                                    "attention": {"type": "attentive_norm", "n": 4}},
                      "discriminator": {"type": "an_projection", "ch": 2, "attention_resolutions": []}},
           "strategy": {"type": "an_class_conditional", "z_dim": 8}}
HOLES = {"data": {"type": "synthetic", "resolution": 64, "length": 8, "fields": [], "num_domains": 1},
         "models": {"generator": {"type": "an_inpainting", "cnum": 4, "attention": {"type": "attentive_norm", "n": 4}},
                    "discriminator": {"type": "an_inpainting", "cnum": 2}},
         "strategy": {"type": "an_inpainting"}}


def write_run(folder, tree, step=3):
    """A run folder with one checkpoint of freshly built networks, as the trainer writes it."""
    exp = from_dict(tree)
    torch.manual_seed(0)
    models, _ = build_networks(exp, verify(exp))
    save(folder / "checkpoints" / checkpoint_name(step),
         {"config": exp.model_dump(mode="json"), "models": {r: m.state_dict() for r, m in models.items()},
          "ema": {}, "step": step})
    return folder


def invoke(*args):
    group = click.Group("ganforge")
    add_commands(group)
    return CliRunner().invoke(group, ["attentive-norm", *map(str, args)])


def grid_size(path) -> tuple[int, int]:
    return Image.open(path).size


def test_sample_writes_one_row_per_class(an, tmp_path):
    run = write_run(tmp_path / "run", CLASSES)
    result = invoke("sample", run, "--classes", "0,2", "--n", 3)
    assert result.exit_code == 0, result.output
    path = run / "attentive_norm_sample_step_00000003.png"
    assert path.exists() and f"wrote {path}" in result.output
    assert grid_size(path) == (3 * 34 + 2, 2 * 34 + 2)  # 3 columns, 2 rows
    assert "rows, top to bottom: class 0, class 2" in result.output
    bad = invoke("sample", run, "--classes", "0,9")
    assert bad.exit_code != 0 and "class ids [9] outside [0, 5)" in bad.output


def test_layout_of_a_class_conditional_run(an, tmp_path):
    run = write_run(tmp_path / "run", CLASSES)
    out = tmp_path / "layout.png"
    result = invoke("layout", run, "--n", 2, "--entities", 4, "--out", out)
    assert result.exit_code == 0, result.output
    w, h = grid_size(out)
    assert w / h == pytest.approx(6 / 2, rel=0.1)  # image + arg-max + 4 maps per row, 2 rows


def test_inpaint_with_a_mask_file_keeps_the_known_pixels(an, tmp_path):
    run = write_run(tmp_path / "run", HOLES)
    mask = np.zeros((64, 64), np.uint8)
    mask[16:48, 16:48] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    out = tmp_path / "inpaint.png"
    result = invoke("inpaint", run, "--index", 0, "--index", 1, "--mask", tmp_path / "mask.png", "--out", out)
    assert result.exit_code == 0, result.output
    assert "PSNR #0:" in result.output and "#1:" in result.output and out.exists()
    assert ("rows, top to bottom: #0: image | incomplete | completed, #1: image | incomplete | completed"
            in result.output)
    grid = np.asarray(Image.open(out).convert("RGB")).astype(int)
    assert grid.shape[:2] == (2 * 64 + 3 * 2, 3 * 64 + 4 * 2)  # 2 rows of [image, incomplete, completed]
    image, incomplete, completed = (grid[2:66, 2 + 66 * c:66 + 66 * c] for c in range(3))
    known = mask == 0
    assert np.array_equal(completed[known], image[known])  # known pixels are pasted back
    assert np.all(incomplete[~known] == incomplete[~known][0])  # the hole is blank in the input
    assert not np.array_equal(completed[~known], image[~known])
    layout = invoke("layout", run, "--n", 1, "--entities", 2, "--out", tmp_path / "l.png")
    assert layout.exit_code == 0, layout.output


def test_commands_refuse_the_other_kind_of_run(an, tmp_path):
    run = write_run(tmp_path / "run", HOLES)
    result = invoke("sample", run)
    assert result.exit_code != 0
    assert "needs a generator of type BigGANGenerator; this run has models.generator: an_inpainting" in str(
        result.exception)

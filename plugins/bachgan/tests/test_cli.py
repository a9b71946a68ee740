"""``ganforge bachgan build-pool`` and ``synthesize``, and the box file reader."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
import torch
import yaml
from click.testing import CliRunner
from PIL import Image

import ganforge
from ganforge.config import from_dict, verify
from ganforge.trainer import build_networks
from ganforge.trainer.checkpoint import checkpoint_name, save
from ganforge_bachgan import apps
from ganforge_bachgan.cli import add_commands
from ganforge_bachgan.pool import CandidatePool

SYNTHETIC = Path(__file__).parents[1] / "configs" / "synthetic.yaml"


def invoke(*args):
    group = click.Group("ganforge")
    add_commands(group)
    return CliRunner().invoke(group, ["bachgan", *map(str, args)])


def test_build_pool_from_a_dataset_config(tmp_path):
    config = tmp_path / "world.yaml"
    config.write_text(yaml.safe_dump({"data": {"type": "synthetic", "resolution": 32, "fields": ["label"],
                                               "length": 12}}))
    out = tmp_path / "pool.pt"
    result = invoke("build-pool", config, "--out", out, "--size", 8, "--resolution", 16, 16)
    assert result.exit_code == 0, result.output
    assert f"8 candidates, 9 labels, 16x16: wrote {out}" in result.output
    pool = CandidatePool.load(out)
    world = ganforge.build("dataset", {"type": "synthetic", "resolution": 32, "fields": ["label"], "length": 12})
    assert torch.equal(pool.labels[3].long(), world[3]["label"][::2, ::2])


def test_build_pool_rejects_a_config_without_data(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("models: {}\n")
    result = invoke("build-pool", config, "--out", tmp_path / "p.pt")
    assert result.exit_code != 0
    assert "bad.yaml: expected an experiment config with a 'data' section" in str(result.exception)


def test_read_boxes(tmp_path):
    path = tmp_path / "boxes.json"
    path.write_text(json.dumps({"boxes": [{"class": 4, "box": [0.1, 0.2, 0.5, 0.9]}]}))
    assert torch.equal(apps.read_boxes(path, 9), torch.tensor([[[4.0, 0.1, 0.2, 0.5, 0.9]]]))
    path.write_text(json.dumps({"boxes": [{"class": 4, "box": [0.5, 0.2, 0.1, 0.9]}]}))
    with pytest.raises(ganforge.DataError, match=r"boxes.json: boxes\[0\]: box must be \[x0, y0, x1, y1\]"):
        apps.read_boxes(path, 9)
    path.write_text(json.dumps({"boxes": [{"class": 12, "box": [0.1, 0.2, 0.5, 0.9]}]}))
    with pytest.raises(ganforge.DataError, match=r"class must be an integer id in \[0, 9\)"):
        apps.read_boxes(path, 9)


def test_grid_rows_are_layout_retrieved_output():
    boxes = torch.tensor([[[2, 0.0, 0.0, 0.5, 0.5]]])
    retrieved = torch.zeros(1, 3, 8, 8, dtype=torch.long)
    image = torch.full((1, 3, 8, 8), 0.5)
    rows = apps.grid_rows(boxes, retrieved, image, 4)
    assert rows.shape == (5, 3, 8, 8)
    colour = apps.palette(4)[2] * 2 - 1
    assert torch.allclose(rows[0, :, 0, 0], colour) and torch.equal(rows[0, :, 7, 7], torch.full((3,), -1.0))
    assert torch.allclose(rows[1, :, 0, 0], apps.palette(4)[0] * 2 - 1)
    assert torch.equal(rows[4], image[0])


def tiny_run(folder: Path) -> Path:
    """A run folder with one checkpoint of freshly built tiny networks of the synthetic config."""
    tree = yaml.safe_load(SYNTHETIC.read_text())
    tree["data"].update(resolution=32, length=8)
    tree["models"]["generator"].update(ngf=2, norm={"type": "fused_spade", "nhidden": 4})
    tree["models"]["discriminator"].update(ndf=2, n_layers=2, num_D=1)
    tree["strategies"][0].update(pool_size=8, pool_data={**tree["strategies"][0]["pool_data"], "resolution": 32,
                                                         "length": 8})
    exp = from_dict(tree)
    torch.manual_seed(0)
    models, _ = build_networks(exp, verify(exp))
    save(folder / "checkpoints" / checkpoint_name(5),
         {"config": exp.model_dump(mode="json"), "models": {r: m.state_dict() for r, m in models.items()},
          "ema": {}, "step": 5})
    return folder


def test_synthesize_boxes_file_and_dataset_boxes(tmp_path):
    run = tiny_run(tmp_path / "run")
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps({"boxes": [{"class": 4, "box": [0.1, 0.5, 0.4, 0.9]}]}))
    result = invoke("synthesize", run, "--boxes", boxes, "--boxes", boxes, "--out", tmp_path / "scene.png")
    assert result.exit_code == 0, result.output
    width, height = Image.open(tmp_path / "scene.png").size
    assert (width // 32, height // 32) == (5, 2)  # [layout | 3 retrieved | output], one row per file
    assert "rows, top to bottom: #0: box layout | 3 retrieved backgrounds | output, #1: " in result.output
    result = invoke("synthesize", run, "--n", 3)
    assert result.exit_code == 0, result.output
    assert (run / "bachgan_synthesize_step_00000005.png").is_file()
    assert Image.open(run / "bachgan_synthesize_step_00000005.png").size[1] // 32 == 3


def test_synthesize_needs_a_bachgan_run(tmp_path):
    run = tiny_run(tmp_path / "run")
    state = ganforge.trainer.load_checkpoint(run / "checkpoints" / checkpoint_name(5))  # weights_only=True
    state["config"]["strategies"] = []  # without retrieval the generator's input is missing
    save(run / "checkpoints" / checkpoint_name(5), state)
    result = invoke("synthesize", run)
    assert result.exit_code != 0
    # refused before its config is checked (where the generator would lack 'retrieved')
    assert "(config): BachGAN's synthesis needs a BachGAN run (strategy 'background_retrieval' among its strategies); " \
        "this run has models.generator: bachgan, models.discriminator: bachgan_patch; strategies: paired_conditional" \
        in str(result.exception)

"""``ganforge controllable-3d ...`` on a run folder holding a checkpoint in the trainer's format."""

import json

import click
import torch
from click.testing import CliRunner
from PIL import Image

from ganforge.config import from_dict, verify
from ganforge.trainer import build_networks
from ganforge.trainer.checkpoint import checkpoint_name, save
from ganforge_controllable_3d.cli import add_commands

from .test_losses_strategy import tiny_config


def write_run(folder):
    exp = from_dict(tiny_config())
    torch.manual_seed(0)
    models, _ = build_networks(exp, verify(exp))
    save(folder / "checkpoints" / checkpoint_name(1),
         {"config": exp.model_dump(mode="json"), "models": {r: m.state_dict() for r, m in models.items()},
          "ema": {}, "step": 1})
    return folder


def invoke(*args):
    group = click.Group("ganforge")
    add_commands(group)
    return CliRunner().invoke(group, ["controllable-3d", *map(str, args)])


def test_control_commands_write_sequences(c3d, tmp_path):
    run = write_run(tmp_path / "run")
    for args in (["move", "--delta", "0.2", "0", "0"], ["rotate"], ["add", "--from-seed", "3"], ["remove"],
                 ["camera", "--turns", "0.5"]):
        out = tmp_path / f"{args[0]}.png"
        res = invoke(args[0], run, "--seeds", "0,1", "--frames", "3", *args[1:], "--out", out)
        assert res.exit_code == 0, res.output
        w, h = Image.open(out).size
        assert w > h and "rows, top to bottom: seed 0, seed 1" in res.output  # 3 frames wide, 2 seeds high
    assert "alpha centroid shift" in invoke("move", run, "--out", tmp_path / "m.png").output
    measured = json.loads(invoke("measure", run, "--samples", "4").output)
    assert measured["objects_total"] == 8 and {"move_error_px", "camera_error_px", "consistency_3d_30deg"} <= set(measured)
    bad = invoke("remove", run, "--object", "9", "--out", tmp_path / "x.png")
    assert bad.exit_code != 0 and "--object 9" in str(bad.exception)


def test_a_damaged_run_is_one_error_naming_the_file(c3d, tmp_path):
    """Runs open through `ganforge.applications.open_app`: a checkpoint without the
    generator's weights, or no checkpoint at all, is refused naming it."""
    from ganforge.trainer import checkpoint as ckpt

    run = write_run(tmp_path / "run")
    state = ckpt.load(ckpt.latest_checkpoint(run))
    del state["models"]["generator"], state["format"]
    save(tmp_path / "partial.pt", state)
    res = invoke("camera", tmp_path / "partial.pt", "--frames", "2", "--out", tmp_path / "x.png")
    assert res.exit_code != 0 and "partial.pt: holds no weights for models.generator" in str(res.exception)
    (tmp_path / "empty" / "checkpoints").mkdir(parents=True)
    res = invoke("measure", tmp_path / "empty")
    assert res.exit_code != 0 and "empty: no checkpoints in" in str(res.exception)

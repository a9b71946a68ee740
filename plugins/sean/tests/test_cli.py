"""``ganforge sean ...`` on a run folder holding a checkpoint in the trainer's format."""

from __future__ import annotations

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
from ganforge_sean.cli import add_commands, load_run


def tiny_config(tiny, with_encoder=True) -> dict:
    models = {"generator": tiny["generator"], "discriminator": {"type": "multiscale_patch", "ndf": 4, "n_layers": 2,
                                                                "use_instance": False}}
    if with_encoder:
        models["encoder"] = tiny["encoder"]
    else:
        models["generator"] = {**tiny["generator"], "norm": {"type": "spade", "nhidden": 8}}
    return {"data": {"type": "synthetic", "resolution": 32, "length": 16, "fields": ["label"]},
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
    return CliRunner().invoke(group, ["sean", *map(str, args)])


def test_load_run_restores_the_trained_weights(run_dir):
    loaded = load_run(run_dir)
    state = torch.load(next((run_dir / "checkpoints").iterdir()), weights_only=True)
    for name, value in loaded.encoder.state_dict().items():
        assert torch.equal(value, state["models"]["encoder"][name])
    assert loaded.step == 3 and not loaded.generator.training


def test_reconstruct_prints_the_papers_scores_and_writes_a_grid(run_dir, tmp_path):
    out = tmp_path / "rec.png"
    result = invoke("reconstruct", run_dir, "--n", 2, "--out", out)
    assert result.exit_code == 0, result.output
    scores = dict(part.split(": ") for part in result.output.splitlines()[0].split("  "))
    assert set(scores) == {"psnr", "ssim", "rmse"} and 0 < float(scores["rmse"]) <= 255
    assert Image.open(out).size == (2 * 34 + 2, 3 * 34 + 2)  # 2 columns (samples) x 3 rows
    assert "rows, top to bottom: label map, real, reconstruction (rec.json)" in result.output


def test_transfer_and_interpolate_write_their_grids(run_dir):
    loaded = load_run(run_dir)
    _, ref_cond = loaded.scenes([Scene(index=1)])
    k = int(ref_cond["label"][0, 16, 16])
    result = invoke("transfer", run_dir, "--image", 0, "--reference", 1, "--class", k)
    assert result.exit_code == 0, result.output
    assert Image.open(run_dir / "sean_transfer_step_00000003.png").size == (36, 6 * 34 + 2)  # one column, 6 rows
    assert ("rows, top to bottom: label map, image, reference label map, reference, reconstruction, transferred"
            in result.output)
    result = invoke("interpolate", run_dir, "--image", 0, "--other", 1, "--steps", 3)
    assert result.exit_code == 0, result.output
    assert Image.open(run_dir / "sean_interpolate_step_00000003.png").size == (3 * 34 + 2, 4 * 34 + 2)


def test_transfer_from_a_class_the_reference_lacks_is_an_error(run_dir):
    loaded = load_run(run_dir)
    _, ref_cond = loaded.scenes([Scene(index=1)])
    absent = [k for k in range(loaded.encoder.num_classes) if not (ref_cond["label"] == k).any()]
    result = invoke("transfer", run_dir, "--image", 0, "--reference", 1, "--class", absent[0])
    assert isinstance(result.exception, ganforge.DataError)
    assert f"no pixels of classes [{absent[0]}]" in str(result.exception)


def test_a_run_without_a_style_encoder_is_refused(registry, tiny, tmp_path):
    folder = write_run(tmp_path / "spade_run", tiny_config(tiny, with_encoder=False))
    with pytest.raises(ganforge.ConfigError, match="need a style encoder providing 'region_style'"):
        load_run(folder)
    result = invoke("reconstruct", tmp_path / "spade_run" / "checkpoints")  # a folder without checkpoints/
    assert isinstance(result.exception, ganforge.GanforgeError) and "no checkpoints" in str(result.exception)

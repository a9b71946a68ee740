"""The applications on a ganforge checkpoint of tiny networks, as functions and commands."""

from __future__ import annotations

import json

import numpy as np

import click
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import ganforge
from ganforge.config import from_dict
from ganforge.trainer import checkpoint as ckpt
from ganforge_hidt import apps, cli

from .helpers import TINY_D, TINY_E, TINY_G

RES = 16
MODELS = {"generator": {**TINY_G, "seg_channels": 9}, "style_encoder": TINY_E,
          "discriminator": {**TINY_D, "num_scales": 1}}


def grid_size(columns: int, rows: int, cell: int = RES) -> tuple[int, int]:
    return columns * cell + (columns + 1) * 2, rows * cell + (rows + 1) * 2


@pytest.fixture
def run_dir(tmp_path):
    config = from_dict({"data": {"type": "synthetic", "resolution": RES, "fields": ["label"]},
                        "models": MODELS, "strategy": {"type": "hidt"}})
    torch.manual_seed(0)
    data = ganforge.DataInfo(fields=frozenset({"label"}), resolution=(RES, RES), label_nc=9)
    nets = apps.build_networks(MODELS, data)
    state = {"generator": nets.generator.state_dict(), "style_encoder": nets.style_encoder.state_dict()}
    ckpt.save(tmp_path / "run" / "checkpoints" / ckpt.checkpoint_name(5),
              {"step": 5, "config": config.model_dump(mode="json"), "models": state, "ema": {}})
    for i in range(3):
        Image.fromarray((torch.rand(24, 24, 3) * 255).byte().numpy()).save(tmp_path / f"img{i}.png")
    return tmp_path


def test_load_networks_restores_the_weights(run_dir):
    nets = apps.load_networks(run_dir / "run")
    saved = ckpt.load(ckpt.latest_checkpoint(run_dir / "run"))["models"]["generator"]
    for k, v in nets.generator.state_dict().items():
        torch.testing.assert_close(v, saved[k])
    assert nets.size == RES and not nets.generator.training


def test_swap_grid_diagonal_is_reconstruction(run_dir):
    nets = apps.load_networks(run_dir / "run")
    x = torch.rand(3, 3, RES, RES) * 2 - 1
    rows = apps.swap_grid(nets, list(x.split(1)))
    assert len(rows) == 3 and rows[0].shape == (3, 3, RES, RES)
    rec = nets.translate(x, nets.style(x))
    for i in range(3):
        torch.testing.assert_close(rows[i][i], rec[i], atol=1e-5, rtol=1e-4)
    # row i keeps image i's content: column j equals translating image i with style j
    torch.testing.assert_close(rows[1][2], nets.translate(x[1:2], nets.style(x[2:3]))[0], atol=1e-5, rtol=1e-4)


def test_official_input_keeps_the_aspect_as_the_style_transformer(tmp_path):
    """Official hidt/utils/preprocessing.py ``__scale_shorter`` then ``__make_power_2``
    (base 16), bicubic, ToTensor, ``+ rand / 255``, normalise: a 40x24 image at inference
    size 16 becomes int(40 * 16 / 24) = 26 x 16, then 32 x 16."""
    arr = (torch.rand(24, 40, 3, generator=torch.Generator().manual_seed(0)) * 255).byte().numpy()
    Image.fromarray(arr).save(tmp_path / "wide.png")
    x = apps.official_input(tmp_path / "wide.png", 16, torch.Generator().manual_seed(1))
    assert x.shape == (1, 3, 16, 32)
    ref = Image.fromarray(arr).resize((26, 16), Image.BICUBIC).resize((32, 16), Image.BICUBIC)
    ref = torch.from_numpy(np.asarray(ref, dtype=np.float32)).permute(2, 0, 1) / 255 * 2 - 1
    noise = (x[0] - ref) * 255 / 2  # U[0, 1) in 8-bit steps
    assert noise.min() >= -1e-4 and noise.max() < 1 + 1e-4 and 0.4 < noise.mean() < 0.6


def test_commands_write_grids(run_dir):
    images = [str(run_dir / f"img{i}.png") for i in range(3)]
    runner = CliRunner()
    group = _group()
    args = [str(run_dir / "run")] + [a for p in images for a in ("--image", p)]
    res = runner.invoke(group, ["hidt", "swap", *args, "--out", str(run_dir / "swap.png")])
    assert res.exit_code == 0, res.output
    assert Image.open(run_dir / "swap.png").size == grid_size(4, 4)
    assert "rows, top to bottom: styles, image 0 | in each style, image 1 | in each style," in res.output
    res = runner.invoke(group, ["hidt", "random", *args, "--styles", "2", "--out", str(run_dir / "random.png")])
    assert res.exit_code == 0, res.output
    assert Image.open(run_dir / "random.png").size == grid_size(3, 3)
    enh = run_dir / "enh.pt"
    res = runner.invoke(group, ["hidt", "train-enhancer", str(run_dir / "run"), "--steps", "2", "--batch-size", "2",
                                "--width", "4", "1", "4", "--out", str(enh)])
    assert res.exit_code == 0, res.output
    assert "step 1: L1" in res.output and "step 2: L1" in res.output
    res = runner.invoke(group, ["hidt", "enhance", str(run_dir / "run"), "--image", images[0], "--style", images[1],
                                "--enhancer", str(enh), "--out", str(run_dir / "enhance.png")])
    assert res.exit_code == 0, res.output
    assert Image.open(run_dir / "enhance.png").size == grid_size(1, 3, 4 * RES)  # one column per image
    assert "rows, top to bottom: input, translated, bilinear 4x, enhanced 4x" in res.output


def test_swap_eval_against_the_worlds_ground_truth(run_dir):
    res = CliRunner().invoke(_group(), ["hidt", "swap-eval", str(run_dir / "run"), "--samples", "12"])
    assert res.exit_code == 0, res.output
    scores = json.loads(res.output)
    assert set(scores) == {"pairs", "swap_psnr", "source_psnr", "swap_ssim", "source_ssim"}
    assert 1 <= scores["pairs"] <= 12
    # the untouched sources differ from their re-lit ground truth: a finite, imperfect baseline
    assert 5 < scores["source_psnr"] < 40 and scores["source_ssim"] < 1


def _group() -> click.Group:
    group = click.Group("ganforge")
    cli.add_commands(group)
    return group


def test_enhancer_training_lowers_its_loss(run_dir):
    nets = apps.load_networks(run_dir / "run")
    torch.manual_seed(0)
    g_enh = apps.build_enhancer(4 * RES, {"type": "hidt_enhancer", "nf": 8, "nb": 1, "gc": 8})
    hires = torch.rand(2, 3, 4 * RES, 4 * RES) * 2 - 1
    hires = torch.nn.functional.avg_pool2d(hires, 5, 1, 2)  # smooth, learnable targets
    losses = list(apps.train_enhancer(nets, g_enh, iter([hires] * 30), 30, lr=2e-3))
    assert len(losses) == 30 and sum(losses[-5:]) / 5 < 0.9 * sum(losses[:5]) / 5


def test_missing_files_are_named(run_dir):
    with pytest.raises(ganforge.DataError, match="write one with `ganforge hidt train-enhancer`"):
        apps.build_enhancer(64, weights=run_dir / "none.pt")
    with pytest.raises(ganforge.GanforgeError, match="no checkpoints"):
        apps.load_networks(run_dir)
    state = ckpt.load(ckpt.latest_checkpoint(run_dir / "run"))
    del state["models"]["style_encoder"], state["format"]
    ckpt.save(run_dir / "partial.pt", state)
    with pytest.raises(ganforge.DataError, match="partial.pt: holds no weights for models.style_encoder"):
        apps.load_networks(run_dir / "partial.pt")
    (run_dir / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ganforge.DataError, match="bad.pt: cannot be read as a ganforge checkpoint"):
        apps.load_networks(run_dir / "bad.pt")
    with pytest.raises(ganforge.ConfigError, match=r"keeps no enhancer \(models.enhancer\); give --enhancer"):
        cli.enhance_command(run_dir / "run", [run_dir / "img0.png"], run_dir / "img1.png", None, run_dir / "x.png")


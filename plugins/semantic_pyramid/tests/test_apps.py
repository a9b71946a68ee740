"""The applications: which masks each one feeds, and the CLI on a real (tiny) run."""

import click
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import ganforge
from ganforge.config import from_dict
from ganforge.trainer import Trainer
from ganforge.trainer import checkpoint as ckpt
from ganforge_semantic_pyramid import apps
from ganforge_semantic_pyramid.cli import add_commands


@pytest.fixture
def G(semantic_pyramid, tiny, data):
    torch.manual_seed(0)
    return ganforge.build("generator", tiny["generator"], data).eval()


def test_inpainting_keeps_shallow_features_outside_the_hole(G, images):
    hole = apps.box_mask((64, 64), (0.25, 0.25, 0.75, 0.75), 2)
    assert hole.sum() == 2 * 32 * 32
    mask = apps.hole_masks(hole, "conv3")
    assert torch.equal(mask[:, 2:3], torch.ones_like(hole))
    assert torch.equal(mask[:, :2], (1 - hole).expand(2, 2, -1, -1))
    assert mask[:, 3:].sum() == 0
    z = torch.randn(2, 8)
    out = apps.inpaint(G, images, hole, "conv3", z)
    assert out.shape == images.shape
    assert not torch.allclose(out, apps.inpaint(G, images, hole, "conv3", torch.randn(2, 8)))


def test_compositing_pastes_into_the_box_then_generates(G, images):
    paste = torch.full((2, 3, 16, 16), 0.5)
    naive, fake = apps.composite(G, images, paste, (0.5, 0.5, 1.0, 1.0), "conv4", torch.randn(2, 8))
    assert torch.allclose(naive[..., 32:, 32:], torch.full((2, 3, 32, 32), 0.5))
    assert torch.equal(naive[..., :32, :], images[..., :32, :]) and fake.shape == images.shape
    with pytest.raises(ValueError, match="box"):
        apps.box_mask((64, 64), (0.5, 0.5, 0.4, 1.0))


def test_relabelling_changes_the_generation_through_fc8(G, images):
    z = torch.randn(2, 8)
    a, b = apps.relabel(G, images, 1, "conv5", z), apps.relabel(G, images, 7, "conv5", z)
    assert not torch.allclose(a, b, atol=1e-5)
    with pytest.raises(ValueError, match="class 10 out of range: the classifier has 10 classes"):
        apps.relabel(G, images, 10, "conv5", z)
    with pytest.raises(ValueError, match="besides fc8"):
        apps.relabel(G, images, 1, "fc8", z)


def test_levels_give_different_generations(G, images):
    outs = apps.from_levels(G, images, ["fc8", "conv1"], torch.randn(2, 8))
    assert len(outs) == 2 and not torch.allclose(outs[0], outs[1], atol=1e-4)


def test_cli_on_a_trained_run(semantic_pyramid, tiny, tmp_path):
    config = {"data": {"type": "synthetic", "resolution": 32, "fields": ["class_label"], "length": 8},
              "models": {"generator": tiny["generator"], "discriminator": tiny["discriminator"]},
              "strategy": {"type": "semantic_pyramid"},
              "train": {"steps": 1, "batch_size": 2, "precision": "fp32", "checkpoint_every": 1}}
    Trainer(from_dict(config), tmp_path / "run", show_progress=False).fit()
    Image.new("RGB", (40, 40), (200, 30, 30)).save(tmp_path / "a.png")
    runner, group = CliRunner(), click.Group("ganforge")
    add_commands(group)
    base = ["semantic-pyramid"]
    for args in (["generate", "--levels", "fc8,conv1"], ["inpaint", "--box", "0.2", "0.2", "0.6", "0.6"],
                 ["composite", "--paste", str(tmp_path / "a.png"), "--box", "0", "0", "0.5", "0.5"],
                 ["relabel", "--label", "3", "--level", "conv5"]):
        out = tmp_path / f"{args[0]}.png"
        result = runner.invoke(group, [*base, args[0], str(tmp_path / "run"), "--image", str(tmp_path / "a.png"),
                                      *args[1:], "--out", str(out)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert Image.open(out).size[0] >= 32 and "rows, top to bottom: " in result.output
    state = ckpt.load(ckpt.latest_checkpoint(tmp_path / "run"))  # a damaged copy: opened through open_app
    del state["models"]["generator"], state["format"]
    ckpt.save(tmp_path / "partial.pt", state)
    result = runner.invoke(group, [*base, "generate", str(tmp_path / "partial.pt"), "--image", str(tmp_path / "a.png"),
                                   "--out", str(tmp_path / "x.png")])
    assert result.exit_code != 0 and "partial.pt: holds no weights for models.generator" in str(result.exception)

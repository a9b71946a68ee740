"""The applications on the tiny test-local generator: what each one's masks must mean."""

import math

import pytest
import torch

import ganforge
from ganforge_image2stylegan_pp import apps
from ganforge_image2stylegan_pp.masks import blur, box_mask
from ganforge_image2stylegan_pp.settings import Settings, override

from .helpers import generated_images, tiny

# 25 + 25 steps and the paper's perceptual loss cut to its first layer (random VGG): fast
FAST = {"schedule.w_steps": 25, "schedule.noise_steps": 25, "vgg.weights": "none", "vgg.layers": ["conv1_1"]}


def fast(command, **extra):
    return override(Settings().section(command), {**FAST, **extra})


def mse(a, b, region):
    return float(((a - b) ** 2 * region).sum() / region.sum() / a.shape[1])


def test_box_masks_and_their_errors():
    m = box_mask("0,4,8,16", (16, 16))
    assert m.shape == (1, 1, 16, 16) and m.sum() == 8 * 12 and m[0, 0, 0, 4] == 1 and m[0, 0, 8, 4] == 0
    for bad in ("1,2,3", "0,0,0,4", "0,0,17,4", "a,b,c,d"):
        with pytest.raises(ganforge.ConfigError, match="--box"):
            box_mask(bad, (16, 16))
    soft = blur(m, 1.5)
    assert soft.shape == m.shape and 0 < soft[0, 0, 8, 8] < 1 and soft[0, 0, 0, 8] > 0.9
    torch.testing.assert_close(blur(m, 0), m)


def test_pixel_scores_are_the_core_psnr_and_ssim():
    x = generated_images(tiny(), 1)
    same = apps.pixel_scores(x, x)
    assert same["psnr"] == math.inf and same["ssim"] == pytest.approx(1.0)
    noisy = apps.pixel_scores((x + 0.1 * torch.randn_like(x)).clamp(-1, 1), x)
    assert 15 < noisy["psnr"] < 30 and noisy["ssim"] < 1


def test_reconstruction_reports_w_only_and_w_then_noise():
    G = tiny()
    x = generated_images(G, 1)
    r = apps.reconstruct(G, x, fast("reconstruct"))
    assert set(r.scores) == {"W+", "W+ then noise"}
    assert r.scores["W+ then noise"]["psnr"] > r.scores["W+"]["psnr"]
    assert r.w_only.shape == r.full.shape == x.shape


def test_inpainting_ignores_the_hole():
    """The embedding sees nothing of the hole: changing its content changes nothing."""
    G = tiny()
    x = generated_images(G, 1)
    hole = box_mask("4,4,12,12", (16, 16))
    damaged = x * (1 - hole) + hole  # white square
    a = apps.inpaint(G, x, hole, fast("inpaint"))
    b = apps.inpaint(G, damaged, hole, fast("inpaint"))
    torch.testing.assert_close(a, b)


def test_crossover_follows_x_inside_and_y_outside():
    G = tiny()
    x, y = generated_images(G, 2).split(1)
    left = box_mask("0,0,16,8", (16, 16))
    out = apps.crossover(G, x, y, left, fast("crossover", blur=1.0))
    assert mse(out, x, left) < mse(out, y, left)
    assert mse(out, y, 1 - left) < mse(out, x, 1 - left)


def test_local_edit_keeps_the_outside_and_local_style_transfer_runs():
    G = tiny()
    x, y = generated_images(G, 2).split(1)
    region = box_mask("4,4,12,12", (16, 16))
    scribbled = x * (1 - region) + region * torch.tensor([1.0, -1.0, -1.0]).view(1, 3, 1, 1)
    edit = apps.local_edit(G, scribbled, region, fast("local-edit"))
    assert mse(edit, x, 1 - region) < mse(edit, scribbled, region)
    styled = apps.local_style_transfer(G, x, y, region, fast("style-transfer", style=1e4))
    assert styled.shape == x.shape and torch.isfinite(styled).all()


def test_feature_transfer_copies_y_where_the_mask_is():
    G = tiny()
    x, y = generated_images(G, 2).split(1)
    left = box_mask("0,0,16,8", (16, 16))
    edited, recs = apps.feature_transfer(G, x, y, left, fast("feature-transfer", layers=["c16"]))
    assert recs.shape == (2, 3, 16, 16)
    torch.testing.assert_close(edited[..., :8], recs[1:, ..., :8])
    torch.testing.assert_close(edited[..., 8:], recs[:1, ..., 8:])


def test_commands_take_exactly_one_mask_source(tmp_path):
    from PIL import Image

    from ganforge_image2stylegan_pp.cli import region

    Image.new("L", (8, 8), 255).save(tmp_path / "m.png")
    torch.testing.assert_close(region(str(tmp_path / "m.png"), None, (16, 16)), torch.ones(1, 1, 16, 16))
    for both_or_none in ((None, None), (str(tmp_path / "m.png"), "0,0,4,4")):
        with pytest.raises(ganforge.ConfigError, match="exactly one of --mask and --box"):
            region(*both_or_none, (16, 16))

"""Both recipes train with the real trainer; every config of the plugin validates."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganforge.config import check_components, load_config
from ganforge.testing import short_run, window_means

CONFIGS = Path(__file__).parents[1] / "configs"
TINY_CLASSES = ["data.resolution=32", "models.generator.ch=4", "models.discriminator.ch=4", "train.batch_size=4"]
TINY_HOLES = ["models.generator.cnum=4", "models.discriminator.cnum=4", "train.batch_size=2",
              "strategy.d_steps=1", "optim.generator.lr=0.001"]


@pytest.mark.parametrize("name", ["synthetic", "synthetic_inpainting"])
def test_synthetic_configs_check_against_the_world(an, name):
    exp = load_config(CONFIGS / f"{name}.yaml")
    assert exp.data.type == "synthetic"


@pytest.mark.parametrize("name, lrs, betas", [("imagenet", (1e-4, 4e-4), (0.0, 0.999)),
                                              ("places2", (1e-5, 1e-5), (0.5, 0.9)),
                                              ("celeba_hq", (1e-5, 1e-5), (0.5, 0.9))])
def test_paper_configs_hold_the_paper_settings(an, name, lrs, betas):
    exp = load_config(CONFIGS / f"{name}.yaml", check=False)  # the datasets are not on this machine
    assert check_components(exp) == {"generator": "generator", "discriminator": "discriminator"}
    assert (exp.optim["generator"].lr, exp.optim["discriminator"].lr) == lrs
    assert exp.optim["generator"].betas == exp.optim["discriminator"].betas == betas
    assert exp.models["generator"].params["attention"] == {"type": "attentive_norm", "n": 16, "temperature": 10.0}


def test_class_conditional_trains_with_the_an_regularizer(an, tmp_path):
    logs = short_run(CONFIGS / "synthetic.yaml", tmp_path, 4, TINY_CLASSES)
    assert len(logs) == 4 and {"d_real", "d_fake", "g_gan", "an_orth"} <= set(logs[-1])
    assert all(step["an_orth"] < 1e-3 for step in logs)  # orthogonal entity filters stay orthogonal
    for step in logs:  # G's loss is the hinge term plus lambda_orth times the regularizer
        assert step["g_loss"] == pytest.approx(step["g_gan"] + 1e-3 * step["an_orth"], rel=1e-5, abs=1e-6)


def test_inpainting_learns_the_known_pixels(an, tmp_path):
    logs = short_run(CONFIGS / "synthetic_inpainting.yaml", tmp_path, 12,
                     ["data.resolution=64", *TINY_HOLES])
    assert {"d_wgan", "gp", "l1_hole", "l1_valid", "an_orth"} <= set(logs[-1])
    first, last = window_means(logs, "l1_valid", 4)
    assert last < first
    for step in logs:  # the TF code's weighting of its terms
        expected = 1e-3 * step["g_wgan"] + 1.4 * step["l1_hole"] + 1.2 * step["l1_valid"] + 2e-4 * step["an_orth"]
        assert step["g_loss"] == pytest.approx(expected, rel=1e-4)


def test_inpainting_critic_steps_more_often_than_the_generator(an, tmp_path):
    logs = short_run(CONFIGS / "synthetic_inpainting.yaml", tmp_path, 5,
                     [*TINY_HOLES[:-2], "strategy.d_steps=5"])
    assert sum("l1_hole" in step for step in logs) == 1 and all("d_wgan" in step for step in logs)

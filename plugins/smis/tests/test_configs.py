"""The shipped configs: valid against the schema and the registry, with the paper's
recipe and optimiser settings; the synthetic one trains here."""

from pathlib import Path

import pytest

import ganforge
from ganforge.config import load_config, recipe_class

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_synthetic_config_checks_against_the_installed_world(registry):
    exp = load_config(CONFIGS / "synthetic.yaml")
    assert exp.data.type == "synthetic" and exp.models["generator"].type == "groupdnet"
    assert exp.models["encoder"].type == "groupdnet" and recipe_class(exp).__name__ == "PairedConditional"


@pytest.mark.parametrize("dataset, groups, batch, steps, decay", [
    ("deepfashion", [8, 8, 4, 4, 2, 2, 1], 8, 100_000, 40_000),  # 60 + 40 epochs (copy-dependent length)
    ("cityscapes", [35, 35, 20, 14, 10, 4, 1], 4, 148_600, 74_300),  # 100 + 100 epochs of 743 iterations
    ("ade20k", [151, 16, 16, 8, 4, 2, 1], 4, 1_010_400, 505_200),  # 100 + 100 epochs of 5052 iterations
])
def test_paper_configs_hold_the_official_settings(registry, dataset, groups, batch, steps, decay):
    exp = load_config(CONFIGS / f"{dataset}.yaml", check=False)  # the datasets are not on this machine
    assert exp.data.type == dataset
    assert list(exp.models["generator"].params["groups"]) == groups
    assert exp.models["generator"].params["norm"]["variant"] == dataset
    assert exp.optim["generator"].lr == 1e-4 and exp.optim["discriminator"].lr == 4e-4
    assert exp.optim["generator"].betas == exp.optim["discriminator"].betas == (0.0, 0.9)
    recipe = ganforge.resolve("strategy", exp.strategy)[1]
    assert (recipe.gan_loss.type, recipe.vgg.type, recipe.lambda_feat, recipe.lambda_vgg, recipe.lambda_kld) == (
        "hinge", "vgg19_perceptual", 10.0, 10.0, 0.05)
    assert (exp.train.batch_size, exp.train.steps, exp.schedule.decay_steps) == (batch, steps, decay)

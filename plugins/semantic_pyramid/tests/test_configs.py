"""The shipped configs: valid against the schema and the registry, with the paper's
classifier, losses and optimiser settings in the Places365 one (its network sizes:
test_generator.py)."""

from pathlib import Path

import ganforge
from ganforge.config import check_components, load_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_synthetic_config_checks_against_the_installed_world(semantic_pyramid):
    exp = load_config(CONFIGS / "synthetic.yaml")
    assert exp.data.type == "synthetic" and exp.models["generator"].type == "semantic_pyramid"
    assert exp.models["generator"].params["classifier"]["weights"] == "none"


def test_places365_config_is_the_papers_setting(semantic_pyramid):
    exp = load_config(CONFIGS / "places365.yaml", check=False)  # the dataset is not on this machine
    assert check_components(exp) == {"generator": "generator", "discriminator": "discriminator"}
    assert exp.data.type == "class_folders" and exp.data.params["crop_size"] == 256
    classifier = exp.models["generator"].params["classifier"]
    assert (classifier["weights"], classifier["num_classes"]) == ("places365", 365)
    recipe = ganforge.resolve("strategy", exp.strategy)[1]
    assert (recipe.gan_loss.type, recipe.lambda_rec, recipe.lambda_div, recipe.crop_prob) == ("lsgan", 0.1, 0.1, 0.3)
    assert exp.optim["generator"].lr == exp.optim["discriminator"].lr == 1e-4
    assert exp.optim["generator"].betas == exp.optim["discriminator"].betas == (0.0, 0.999)

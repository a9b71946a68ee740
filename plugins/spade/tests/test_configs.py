"""The shipped configs: valid against the experiment schema and the registry, and the
paper configs hold the paper's networks (their parameter counts) and optimiser settings."""

from pathlib import Path

import pytest
import torch

import ganforge
import ganforge_spade.plugin
from ganforge.config import check_components, load_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.fixture
def with_core(isolated_registry):
    """This plugin and the core's datasets (Cityscapes, ADE20K, COCO-Stuff, the synthetic world)."""
    return isolated_registry(("spade", ganforge_spade.plugin))


def test_synthetic_config_checks_against_the_installed_world(with_core):
    exp = load_config(CONFIGS / "synthetic.yaml")
    assert exp.data.type == "synthetic" and exp.models["generator"].type == "spade"


@pytest.mark.parametrize("dataset", ["ade20k", "cityscapes", "coco_stuff"])
def test_paper_configs_build_the_official_networks(with_core, official_counts, paper_data, dataset):
    exp = load_config(CONFIGS / f"{dataset}.yaml", check=False)  # the datasets are not on this machine
    assert check_components(exp) == {"generator": "generator", "discriminator": "discriminator",
                                      "encoder": "encoder"}
    assert exp.data.type == dataset
    assert exp.optim["generator"].lr == 1e-4 and exp.optim["discriminator"].lr == 4e-4
    assert exp.optim["generator"].betas == exp.optim["discriminator"].betas == (0.0, 0.9)
    recipe = ganforge.resolve("strategy", exp.strategy)[1]
    assert (recipe.gan_loss.type, recipe.vgg.type, recipe.lambda_feat, recipe.lambda_vgg) == (
        "hinge", "vgg19_perceptual", 10.0, 10.0)
    data, _ = paper_data[dataset]
    counts = []
    with torch.device("meta"):  # see test_param_counts: spectral norm adds no parameters
        for role, kind in (("generator", "generator"), ("discriminator", "discriminator")):
            spec = {**exp.models[role].model_dump(), "spectral_norm": False}
            counts.append(sum(p.numel() for p in ganforge.build(kind, spec, data).parameters()))
    assert counts == [official_counts[dataset][0], official_counts[dataset][2]]

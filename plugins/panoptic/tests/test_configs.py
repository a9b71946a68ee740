"""The shipped configs, and the parameter counts of the paper's networks next to SPADE's.

There is no official code, so our counts are facts of this implementation, each
explained as SPADE's official count (NVlabs/SPADE, asserted in plugins/spade's tests)
plus the layers the paper adds and minus the boundary-map channel it drops.
"""

from pathlib import Path

import pytest
import torch

import ganforge
from ganforge import DataInfo
from ganforge.config import check_components, load_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"

# dataset -> (DataInfo as the layout describes itself, upsamplings, SPADE's official G, ours)
PAPER = {
    "cityscapes": (DataInfo(fields=frozenset({"label", "instance"}), resolution=(256, 512), label_nc=35),
                   6, 93_048_003, 94_271_939),
    "coco_stuff": (DataInfo(fields=frozenset({"label", "instance"}), resolution=(256, 256), label_nc=182,
                            contain_dontcare_label=True), 5, 97_480_899, 102_302_659),
}
SPADE_D = {"cityscapes": 5_601_410, "coco_stuff": 5_904_514}


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_synthetic_config_checks_against_the_installed_world(registry):
    exp = load_config(CONFIGS / "synthetic.yaml")
    assert exp.models["generator"].type == "panoptic"
    assert {"label", "panoptic"} <= set(exp.data.params["fields"])


@pytest.mark.parametrize("dataset", sorted(PAPER))
def test_paper_configs_and_parameter_counts(registry, dataset):
    data, n_up, spade_g, ours_g = PAPER[dataset]
    exp = load_config(CONFIGS / f"{dataset}.yaml", check=False)  # the datasets are not on this machine
    assert check_components(exp)["generator"] == "generator" and "encoder" not in exp.models
    assert exp.optim["generator"].lr == 1e-4 and exp.optim["discriminator"].lr == 4e-4
    assert exp.optim["generator"].betas == exp.optim["discriminator"].betas == (0.0, 0.9)
    recipe = ganforge.resolve("strategy", exp.strategy)[1]
    assert (recipe.gan_loss.type, recipe.vgg.type, recipe.lambda_feat, recipe.lambda_vgg) == (
        "hinge", "vgg19_perceptual", 10.0, 10.0)
    with torch.device("meta"):  # spectral norm adds no parameters (plugins/spade's tests)
        g = ganforge.build("generator", {**exp.models["generator"].model_dump(), "spectral_norm": False}, data)
        d = ganforge.build("discriminator", {**exp.models["discriminator"].model_dump(), "spectral_norm": False},
                           data)
    assert (count(g), count(d)) == (ours_g, SPADE_D[dataset])
    # the difference to SPADE: one 3x3 conv semantic map -> features per panoptic-aware upsampling ...
    semantic_nc = data.label_nc + int(data.contain_dontcare_label)
    fins = [16 * 64] * (n_up - 3) + [8 * 64, 4 * 64, 2 * 64]
    assert [u.num_features for u in g.upsamplers.values()] == fins
    added = sum(semantic_nc * 9 * f + f for f in fins)
    # ... and no instance boundary channel in fc (16 ngf outputs) and in the 18 SPADE layers (128 hidden)
    dropped = 9 * 16 * 64 + 18 * 9 * 128
    assert ours_g == spade_g + added - dropped

import math
from pathlib import Path

import pytest
import torch
import yaml

import ganforge
from ganforge.testing import short_run
from ganforge_controllable_3d.camera import camera_pose, object_to_camera
from ganforge_controllable_3d.generator_3d import turn_objects
from ganforge_controllable_3d.losses import compactness, consistency_3d

from .conftest import TINY

CONFIG = Path(__file__).parents[1] / "configs" / "synthetic.yaml"


def test_compactness_ignores_small_primitives():
    alpha = torch.zeros(1, 2, 1, 4, 4)
    alpha[0, 0, 0, :2, :2] = 1   # area 0.25
    alpha[0, 1, 0, 0, 0] = 1     # area 1/16 < 0.1: clamped, no gradient
    assert compactness(alpha).item() == pytest.approx((0.25 + 0.1) / 2)


def test_consistency_is_zero_for_the_same_pose_and_grows_with_the_turn(tiny_generator):
    G = tiny_generator
    scene = G.scene(torch.randn(2, 16))
    scene["t"] = scene["t"] * 0.3
    cam = camera_pose(torch.tensor([0.0, 0.5]), torch.tensor([0.25, 0.2]))

    def loss(degrees: float) -> float:
        turned = turn_objects(scene, torch.full((2, 2), math.radians(degrees)))
        a, b = (G.render(s, *cam)["layers"] for s in (scene, turned))
        flat = lambda layers: {k: v.flatten(0, 1) for k, v in layers.items()}  # noqa: E731
        return consistency_3d(flat(a), flat(b), object_to_camera(scene, *cam), object_to_camera(turned, *cam),
                              G.params.focal).item()

    assert loss(0.0) < 1e-6
    assert 0 < loss(10.0) < loss(90.0)   # an untrained 2D generator is not 3D consistent


def test_consistency_trains_the_2d_generator_only(c3d, data, tiny_generator):
    from ganforge_controllable_3d.strategy import Controllable3DRecipe

    G, recipe = tiny_generator.train(), Controllable3DRecipe(Controllable3DRecipe.Params(), data)
    scene = G.scene(torch.randn(2, 16))
    recipe.consistency(G, scene, camera_pose(torch.tensor([0.1, 0.6]), torch.tensor([0.2, 0.3]))).backward()
    assert all(p.grad is None for p in G.generator_3d.parameters())
    assert G.generator_2d.conv_img_in.weight.grad.abs().sum() > 0 and G.style_mlp[0].weight.grad.abs().sum() > 0


def tiny_config() -> dict:
    cfg = yaml.safe_load(CONFIG.read_text())
    cfg["data"]["resolution"] = 16
    cfg["models"]["generator"] = dict(TINY)
    cfg["models"]["discriminator"]["width"] = 8
    cfg["train"]["batch_size"] = 2
    cfg.pop("eval")
    return cfg


def test_recipe_logs_the_paper_losses(c3d, tmp_path):
    logs = short_run(tiny_config(), tmp_path, 2, [])
    assert {"g_adv", "compactness", "consistency_3d", "d_real", "d_fake", "r1"} <= set(logs[-1])


def test_recipe_requires_r1(c3d, tmp_path):
    with pytest.raises(ganforge.ConfigError, match="train.r1.gamma"):
        short_run(tiny_config(), tmp_path, 1, ["train.r1.gamma=0"])

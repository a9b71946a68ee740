from pathlib import Path

import pytest
import torch
import yaml

import ganforge
from ganforge.testing import short_run
from ganforge_controllable_3d.camera import camera_pose
from ganforge_controllable_3d.losses import compactness, consistency_3d

from .conftest import TINY

CONFIG = Path(__file__).parents[1] / "configs" / "synthetic.yaml"


def test_compactness_ignores_small_primitives():
    alpha = torch.zeros(1, 2, 1, 4, 4)
    alpha[0, 0, 0, :2, :2] = 1   # area 0.25
    alpha[0, 1, 0, 0, 0] = 1     # area 1/16 < 0.1: clamped, no gradient
    assert compactness(alpha).item() == pytest.approx((0.25 + 0.1) / 2)


def test_consistency_is_zero_for_a_view_of_itself_and_positive_for_another(tiny_generator):
    G = tiny_generator
    scene = G.scene(torch.randn(2, 16))
    cam0 = camera_pose(torch.tensor([0.0, 0.5]), torch.tensor([0.25, 0.2]))
    cam1 = camera_pose(torch.tensor([0.05, 0.55]), torch.tensor([0.25, 0.2]))
    v0, v1 = G.render(scene, *cam0), G.render(scene, *cam1)
    same = consistency_3d(v0, v0, cam0, cam0, G.params.focal, G.params.far)
    other = consistency_3d(v0, v1, cam0, cam1, G.params.focal, G.params.far)
    assert same.item() < 0.05 and other.item() > same.item()


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

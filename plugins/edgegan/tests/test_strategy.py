"""The foreground recipe inside the real trainer: which network each loss reaches."""

import pytest
import torch

import ganforge
from ganforge.testing import short_run


def config(tiny, **strategy):
    return {"data": {"type": "synthetic", "resolution": 32, "length": 32, "num_domains": 1, "max_objects": 2,
                     "fields": ["instance", "boxes", "class_label", "sketch"]},
            "models": tiny, "strategy": {"type": "edgegan", "size": 32, "dis_size": 32, "z_dim": 8, **strategy},
            "train": {"batch_size": 4, "precision": "fp32", "seed": 0}}


def test_a_training_step_logs_every_loss(edgegan, tiny, tmp_path):
    logs = short_run(config(tiny), tmp_path, 2)
    keys = {"joint_wdist", "joint_gp", "image_wdist", "edge_wdist", "ac_d", "g_joint", "g_image", "g_edge",
            "ac_g", "z_l1"}
    assert keys <= set(logs[-1]) and all(torch.isfinite(torch.tensor(logs[-1][k])) for k in keys)


def test_image_and_edge_critics_are_optional(edgegan, tiny, tmp_path):
    models = {k: v for k, v in tiny.items() if k not in ("image_discriminator", "edge_discriminator")}
    logs = short_run(config(models), tmp_path, 1)
    assert "joint_wdist" in logs[-1] and "image_wdist" not in logs[-1] and "g_edge" not in logs[-1]


def test_unlabelled_objects_are_an_error(edgegan, tiny, tmp_path):
    cfg = config(tiny)
    cfg["data"]["labelled_fraction"] = 0.0
    with pytest.raises(ganforge.ConditionMismatch, match="unlabelled rows"):
        short_run(cfg, tmp_path, 1)


def test_crop_false_needs_object_sized_images(edgegan, tiny, tmp_path):
    cfg = config({**tiny, "encoder": {**tiny["encoder"], "field": "edge"}}, crop=False)
    cfg["data"]["fields"] = ["edge", "class_label"]
    with pytest.raises(ganforge.ConditionMismatch, match="crop=false needs 32x32 object images, got"):
        short_run(cfg, tmp_path, 1, ["data.resolution=64"])

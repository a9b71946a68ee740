"""The SEMIT recipe: what each step computes, and how unlabelled rows take part."""

from __future__ import annotations

import torch
from torch import nn

import ganforge
from ganforge.run import Run
from ganforge_semit.strategy import ALPHA

DATA = ganforge.DataInfo(fields=frozenset({"class_label"}), num_classes=3, resolution=(32, 32))
TINY_G = {"type": "semit", "nf": 4, "n_res_blks": 1, "latent_dim": 4, "nf_mlp": 8}
TINY_D = {"type": "semit", "nf": 4, "n_res_blks": 4}


def setup(labels):
    torch.manual_seed(0)
    models = nn.ModuleDict({"generator": ganforge.build("generator", TINY_G, DATA, check=False),
                            "discriminator": ganforge.build("discriminator", TINY_D, DATA)})
    recipe = ganforge.build("strategy", {"type": "semit"}, DATA)
    run = Run(config=None, data=DATA, models=models)
    batch = {"image": torch.rand(len(labels), 3, 32, 32) * 2 - 1,
             "cond": ganforge.Condition(class_label=torch.tensor(labels))}
    recipe.ganforge_prepare_batch(run, batch)
    return recipe, run, batch


def test_prepare_pairs_each_image_with_the_previous_one():
    _, _, batch = setup([0, 1, 2, 0])
    cond = batch["cond"]
    assert torch.equal(cond["source"], batch["image"])
    assert torch.equal(cond["exemplar"], batch["image"].roll(1, 0))
    assert 0.0 <= batch[ALPHA] <= 1.0


def test_discriminator_step_hinge_and_r1():
    recipe, run, batch = setup([0, 1, 2, 0])
    result = recipe.ganforge_discriminator_step(run, batch)
    logs = result.logs
    assert torch.allclose(result.loss, logs["d_real"] + logs["d_fake"] + 10 * logs["r1"])
    assert float(logs["r1"]) > 0
    result.loss.backward()
    assert all(p.grad is not None for p in run.models["discriminator"].parameters())
    assert all(p.grad is None for p in run.models["generator"].parameters())


def test_generator_step_weights_and_no_discriminator_gradient():
    recipe, run, batch = setup([0, 1, 2, 0])
    result = recipe.ganforge_generator_step(run, batch)
    g = result.logs
    expected = g["adv"] + 0.1 * (g["rec"] + g["cyc"]) + 0.1 * g["fm"] + 0.01 * g["entropy"]
    assert torch.allclose(result.loss, expected)
    result.loss.backward()
    assert all(p.grad is None for p in run.models["discriminator"].parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in run.models["generator"].enc_content.parameters())


def test_unlabelled_rows_only_reach_the_label_free_terms():
    recipe, run, batch = setup([-1, -1, -1, -1])
    assert recipe.ganforge_discriminator_step(run, batch).loss is None
    result = recipe.ganforge_generator_step(run, batch)
    assert float(result.logs["adv"]) == 0 and float(result.logs["fm"]) == 0
    assert float(result.logs["cyc"]) > 0 and float(result.logs["rec"]) > 0  # the cycle uses unlabelled images
    result.loss.backward()
    assert any(p.grad is not None for p in run.models["generator"].enc_class_model.parameters())


def test_sample_rows():
    recipe, run, batch = setup([0, 1, 2, 0])
    run.models.eval()
    with torch.no_grad():
        grid = recipe.ganforge_sample(run, batch)
    assert list(grid) == ["content", "class exemplar", "translated"]
    assert grid["translated"].shape == (4, 3, 32, 32)
    assert torch.equal(grid["content"], batch["image"]) and torch.equal(grid["class exemplar"], batch["image"].roll(1, 0))

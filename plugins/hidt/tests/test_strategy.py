"""The recipe on a hand-built run of tiny networks: every loss term, where gradients go,
the style pool, and the errors a wrong config gets."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import ganforge
from ganforge.run import Run
from ganforge_hidt.strategy import POOL, style_distribution_loss

from .helpers import TINY_D, TINY_E, TINY_G, data_info

TERMS = {"adv", "adv_r", "rec", "rec_r", "cyc", "seg", "seg_r", "c", "c_r", "s", "s_r", "dist"}


def tiny_run(label_nc: int = 3, strategy: dict | None = None, generator: dict | None = None):
    data = data_info(32, label_nc=label_nc)
    torch.manual_seed(0)
    specs = {"generator": ("generator", generator or TINY_G), "style_encoder": ("encoder", TINY_E),
             "discriminator": ("discriminator", TINY_D)}
    models = nn.ModuleDict({r: ganforge.build(k, s, data, check=False) for r, (k, s) in specs.items()})
    recipe = ganforge.build("strategy", {"type": "hidt", **(strategy or {})}, data)
    run = Run(config=None, data=data, models=models)
    recipe.ganforge_setup(run)
    return run, recipe


def batch(b: int = 3, label_nc: int = 3) -> dict:
    g = torch.Generator().manual_seed(0)
    return {"image": torch.rand(b, 3, 32, 32, generator=g) * 2 - 1,
            "cond": ganforge.Condition(label=torch.randint(0, label_nc, (b, 32, 32), generator=g))}


def grads(module: nn.Module) -> bool:
    return any(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())


def test_generator_step_has_every_term_and_trains_both_encoders():
    run, recipe = tiny_run()
    b = batch()
    recipe.ganforge_prepare_batch(run, b)
    assert torch.equal(b["cond"]["source"], b["image"]) and b["cond"]["style"].shape == (3, 3)
    result = recipe.ganforge_generator_step(run, b)
    assert set(result.logs) == TERMS and all(torch.isfinite(v) for v in result.logs.values())
    p = recipe.params
    t = result.logs
    expected = (5 * (t["adv"] + t["adv_r"]) + 2 * (t["rec"] + t["rec_r"] + t["cyc"]) + 3 * (t["seg"] + t["seg_r"])
                + t["c"] + t["c_r"] + 0.1 * t["s"] + 4 * t["s_r"] + t["dist"])
    assert (p.lambda_adv, p.lambda_rec, p.lambda_seg, p.lambda_c, p.lambda_s, p.lambda_s_r, p.lambda_dist) == \
        (5, 2, 3, 1, 0.1, 4, 1)
    torch.testing.assert_close(result.loss.detach(), expected)
    result.loss.backward()
    assert grads(run.models["generator"]) and grads(run.models["style_encoder"])
    assert not grads(run.models["discriminator"])
    # segmentation loss: cross-entropy against random labels starts near log(3)
    assert abs(t["seg"].item() - torch.log(torch.tensor(3.0)).item()) < 1.5


def test_discriminator_step_updates_only_d():
    run, recipe = tiny_run()
    b = batch()
    recipe.ganforge_prepare_batch(run, b)
    result = recipe.ganforge_discriminator_step(run, b)
    result.loss.backward()
    assert set(result.logs) == {"d_real", "d_fake"}
    assert grads(run.models["discriminator"])
    assert not grads(run.models["generator"]) and not grads(run.models["style_encoder"])


def test_style_pool_keeps_the_newest_codes_detached():
    run, recipe = tiny_run(strategy={"style_pool": 4})
    for _ in range(3):
        b = batch()
        recipe.ganforge_prepare_batch(run, b)
        recipe.ganforge_generator_step(run, b)
    pool = run.state[POOL]
    assert pool.shape == (4, 3) and not pool.requires_grad


def test_style_distribution_loss():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(4096, 3, generator=g)
    # whitened: exact zero mean and identity covariance -> zero loss
    z = z - z.mean(0)
    chol = torch.linalg.cholesky(z.T @ z / (len(z) - 1))
    white = z @ torch.linalg.inv(chol).T
    assert style_distribution_loss(white).item() == pytest.approx(0.0, abs=1e-5)
    shifted = white + torch.tensor([3.0, 0.0, 0.0])
    assert style_distribution_loss(shifted).item() == pytest.approx(1.0, abs=1e-4)  # |mean| averaged over 3
    scaled = white * 2  # cov = 4 I: |cov - I| = 3 on the diagonal, averaged over 9 entries
    assert style_distribution_loss(scaled).item() == pytest.approx(1.0, abs=1e-4)


def test_without_segmentation_no_labels_are_needed():
    run, recipe = tiny_run(label_nc=0, strategy={"lambda_seg": 0.0}, generator={**TINY_G, "seg_channels": 0})
    assert type(recipe).requirements(recipe.params, run.data) == frozenset()
    b = {"image": torch.rand(2, 3, 32, 32) * 2 - 1, "cond": ganforge.Condition()}
    recipe.ganforge_prepare_batch(run, b)
    assert set(recipe.ganforge_generator_step(run, b).logs) == TERMS - {"seg", "seg_r"}


def test_config_errors_are_named():
    with pytest.raises(ganforge.ConfigError, match="seg_channels is 3 but the data has label_nc 5"):
        tiny_run(label_nc=5)
    run, recipe = tiny_run()
    with pytest.raises(ganforge.ConfigError, match="train.batch_size must be >= 2"):
        recipe.ganforge_prepare_batch(run, batch(1))
    run.models["generator"] = ganforge.build("generator", "hidt_enhancer", run.data, check=False)
    with pytest.raises(ganforge.ConfigError, match=r"must split into encode_content\(x\) and decode"):
        recipe.ganforge_setup(run)


def test_sample_rows():
    run, recipe = tiny_run()
    b = batch()
    recipe.ganforge_prepare_batch(run, b)
    rows = recipe.ganforge_sample(run, b)
    assert list(rows) == ["source", "style reference", "swap", "random style 1", "random style 2", "reconstruction"]
    assert all(r.shape == (3, 3, 32, 32) for r in rows.values())
    torch.testing.assert_close(rows["style reference"], b["image"].roll(1, 0))

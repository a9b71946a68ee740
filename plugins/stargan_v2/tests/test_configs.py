"""The shipped configs: valid, and the paper's settings where they claim to be."""

from __future__ import annotations

from pathlib import Path

import pytest

import ganforge
from ganforge.config import from_dict, read_config, recipe_networks

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


@pytest.mark.parametrize("name", ["synthetic", "afhq", "celeba_hq"])
def test_config_resolves(name):
    exp = from_dict(read_config(CONFIGS / f"{name}.yaml"), name)
    kinds, optional = recipe_networks(exp)
    assert set(kinds) - optional <= set(exp.models)
    for role, spec in exp.models.items():
        ganforge.resolve(kinds[role], spec, f"models.{role}")
    ganforge.resolve("strategy", exp.strategy, "strategy")
    assert set(exp.optim) == {"generator", "mapping", "style_encoder", "discriminator"}
    assert exp.train.ema.enabled and set(exp.train.ema.roles) == {"generator", "mapping", "style_encoder"}
    assert exp.train.r1.gamma == 0  # R1 is the recipe's (lambda_reg), not the trainer's lazy one


@pytest.mark.parametrize("name, lambda_ds, w_hpf", [("afhq", 2.0, 0.0), ("celeba_hq", 1.0, 1.0)])
def test_paper_settings(name, lambda_ds, w_hpf):
    exp = from_dict(read_config(CONFIGS / f"{name}.yaml"), name)
    s = exp.strategy.params
    assert (s["lambda_reg"], s["lambda_sty"], s["lambda_ds"], s["lambda_cyc"], s["ds_iter"]) == (
        1.0, 1.0, lambda_ds, 1.0, 100_000)
    assert exp.models["generator"].params["w_hpf"] == w_hpf
    assert ("fan" in exp.models) == bool(w_hpf)
    assert exp.optim["mapping"].lr == 1e-6
    for net in ("generator", "style_encoder", "discriminator"):
        assert exp.optim[net].lr == 1e-4
    for opt in exp.optim.values():
        assert opt.betas == (0.0, 0.99) and opt.weight_decay == 1e-4
    assert (exp.train.steps, exp.train.batch_size, exp.train.ema.beta) == (100_000, 8, 0.999)
    assert exp.data.params["crop_size"] == 256

"""The shipped configs: valid, and the paper's settings where they claim to be."""

from __future__ import annotations

from pathlib import Path

import pytest

import ganforge
from ganforge.config import from_dict, read_config, recipe_networks

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
PAPER = {"animals": (119, 128), "birds": (444, 64), "flowers": (85, 128), "foods": (224, 128)}


@pytest.mark.parametrize("name", ["synthetic", *PAPER])
def test_config_resolves(name):
    exp = from_dict(read_config(CONFIGS / f"{name}.yaml"), name)
    kinds, optional = recipe_networks(exp)
    assert set(kinds) - optional <= set(exp.models)
    for role, spec in exp.models.items():
        ganforge.resolve(kinds[role], spec, f"models.{role}")
    ganforge.resolve("dataset", exp.data, "data")
    assert [s.type for s in exp.strategies] == ["pseudo_labelling"]


@pytest.mark.parametrize("name, batch", [(n, b) for n, (_, b) in PAPER.items()])
def test_paper_settings(name, batch):
    exp = from_dict(read_config(CONFIGS / f"{name}.yaml"), name)
    s = exp.strategy.params
    weights = (s["gan_w"], s["r_w"], s["cycle_w"], s["fm_w"], s["entropy_w"], s["r1_w"])
    assert weights == (1.0, 0.1, 1.0, 0.1, 0.01, 10.0)
    assert exp.data.params["labelled_fraction"] == 0.1
    assert exp.data.params["dataset"]["crop_size"] == 128
    assert exp.train.batch_size == batch and exp.train.steps == 100_000
    assert exp.train.ema.enabled and exp.train.ema.beta == 0.999
    for opt in exp.optim.values():
        assert opt.lr == 1e-4 and opt.weight_decay == 1e-4
    g = exp.models["generator"].params
    assert (g["nf"], g["n_res_blks"], g["latent_dim"], g["nf_mlp"]) == (64, 6, 64, 256)
    assert exp.models["discriminator"].params["n_res_blks"] == 10


@pytest.mark.parametrize("name", ["synthetic_stargan_v2", "synthetic_stargan_v2_labelled_only"])
def test_stargan_v2_pair_differs_only_in_pseudo_labels(name):
    pair = [read_config(CONFIGS / f"{n}.yaml") for n in ("synthetic_stargan_v2", "synthetic_stargan_v2_labelled_only")]
    with_pl, without = (dict(c, strategies=[{k: v for k, v in c["strategies"][0].items() if k != "pseudo_labels"}])
                        for c in pair)
    assert with_pl == without
    assert pair[1]["strategies"][0]["pseudo_labels"] is False and "pseudo_labels" not in pair[0]["strategies"][0]
    from_dict(read_config(CONFIGS / f"{name}.yaml"), name)

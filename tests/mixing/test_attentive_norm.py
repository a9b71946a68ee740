"""Attentive Normalization (plugins/attentive_norm, ``attentive_norm``) inside SPADE's generator
(plugins/spade, ``spade``), trained by SPADE's recipe: once *in place of* SPADE's norm and once
*in addition to* it (AN, then SPADE, in every normalization of every residual block).

AN reads nothing from the Condition: its regions come from the features themselves. In place
of SPADE's norm the label map then reaches the generator only through its input (the
downsampled label map), not through every block's modulation."""

from __future__ import annotations

import copy

import pytest
import torch

import ganforge
from ganforge.config import from_dict, verify
from ganforge.testing import short_run, window_means

AN = {"type": "attentive_norm", "n": 4}
CONFIG = {
    "data": {"type": "synthetic", "resolution": 32, "fields": ["label"], "length": 64, "num_domains": 1},
    "models": {
        "generator": {"type": "spade", "ngf": 4, "norm": AN},
        "discriminator": {"type": "multiscale_patch", "ndf": 8, "n_layers": 2, "num_D": 1},
    },
    "strategy": {"type": "paired_conditional", "vgg": None},
    "optim": {"generator": {"lr": 1e-3, "betas": [0.0, 0.9]}, "discriminator": {"lr": 2e-3, "betas": [0.0, 0.9]}},
    "train": {"batch_size": 4, "precision": "fp32", "seed": 0},
}
IN_ADDITION = {**AN, "then": {"type": "spade", "nhidden": 8}}


@pytest.fixture
def registry(isolated_registry):
    """The core, SPADE and AN only: the mix under test, independent of other plugins' state."""
    import ganforge_attentive_norm.plugin
    import ganforge_spade.plugin

    return isolated_registry(("spade", ganforge_spade.plugin), ("attentive_norm", ganforge_attentive_norm.plugin))


def with_norm(norm: dict) -> dict:
    config = copy.deepcopy(CONFIG)
    config["models"]["generator"]["norm"] = norm
    return config


@pytest.mark.parametrize("norm", [AN, IN_ADDITION], ids=["in_place_of_spade", "in_addition_to_spade"])
def test_an_in_spades_generator_validates_and_trains(registry, tmp_path, norm):
    config = with_norm(norm)
    verify(from_dict(config))
    logs = short_run(config, tmp_path, 16)
    assert len(logs) == 16 and {"d_loss", "g_gan", "g_feat"} <= set(logs[-1])
    first, last = window_means(logs, "d_loss", 4)
    assert last < first  # the discriminator learns to tell the mix's images from real ones


def test_an_layers_sit_in_every_block_and_their_layouts_are_recorded(registry):
    from ganforge_attentive_norm.norm import AttentiveNorm, learned_layouts, semantic_regularization

    data = ganforge.DataInfo(fields=frozenset({"label"}), label_nc=4, resolution=(32, 32))
    torch.manual_seed(0)
    generator = ganforge.build("generator", with_norm(IN_ADDITION)["models"]["generator"], data).eval()
    ans = [m for m in generator.modules() if isinstance(m, AttentiveNorm)]
    assert len(ans) == 2 * 7 + 4  # two norms per block, plus the learned shortcuts' norms
    out = generator(ganforge.Condition(label=torch.randint(0, 4, (2, 32, 32))))
    assert out.shape == (2, 3, 32, 32)
    assert [tuple(s.shape[-2:]) for s in learned_layouts(generator)][-1] == (32, 32)
    assert semantic_regularization(generator).item() == pytest.approx(0.0, abs=1e-3)


def test_in_addition_the_label_map_is_still_required(registry):
    config = with_norm(IN_ADDITION)
    config["data"]["fields"] = []
    config["models"]["generator"]["use_vae"] = True  # the generator's own input no longer needs the labels
    with pytest.raises(ganforge.ConditionMismatch, match=r"models.generator.norm.then.*'label'"):
        verify(from_dict(config))

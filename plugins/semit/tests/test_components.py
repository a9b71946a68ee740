"""Conformance of every component, and the numerics that define the generator and the recipe."""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge.testing import check_component, default_data
from ganforge_semit.strategy import content_entropy

TINY_G = {"nf": 4, "n_res_blks": 1, "latent_dim": 4, "nf_mlp": 8}
TINY_D = {"nf": 4, "n_res_blks": 4}


@pytest.mark.parametrize("kind, name, params", [
    ("generator", "semit", TINY_G),
    ("discriminator", "semit", TINY_D),
    ("strategy", "semit", {}),
    ("strategy", "pseudo_labelling", {"width": 4, "downsamples": 1}),
])
def test_conformance(kind, name, params):
    checked = check_component(kind, name, params)
    assert "params documented" in checked.checks
    if kind in ("generator", "discriminator"):
        assert "backward reaches every trainable parameter" in checked.checks


def test_dataset_conformance():
    checked = check_component("dataset", "semi_supervised", {
        "field": "domain", "dataset": {"type": "synthetic", "resolution": 16, "fields": ["domain"], "length": 8}})
    assert "params documented" in checked.checks


def generator():
    torch.manual_seed(0)
    return ganforge.build("generator", {"type": "semit", **TINY_G}, default_data()).eval()


def test_few_shot_code_is_the_mean_of_the_exemplars_codes():
    G = generator()
    x, shots = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 3, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        codes = G.enc_class_model(shots.flatten(0, 1), 0.5).view(2, 3, -1)
        assert torch.allclose(G.class_code(shots.flatten(0, 1), 0.5, shots=3), codes.mean(1), atol=1e-6)
        out = G.translate(x, shots, 0.5)
        expected = G.decode(G.enc_content(x, 0.5), codes.mean(1), 0.5)
    assert out.shape == (2, 3, 32, 32) and out.abs().max() <= 1
    assert torch.allclose(out, expected, atol=1e-6)


def test_alpha_is_drawn_in_training_and_fixed_in_eval():
    G = generator()
    assert {G.draw_alpha() for _ in range(3)} == {0.5}
    G.train()
    draws = {G.draw_alpha() for _ in range(5)}
    assert len(draws) == 5 and all(0 <= a <= 1 for a in draws)


def test_adain_parameters_are_sliced_per_layer_high_then_low():
    G = generator()
    code = torch.randn(2, 4)
    with torch.no_grad():
        G.decode(G.enc_content(torch.zeros(2, 3, 32, 32), 0.5), code, 0.5)
        flat = G.mlp(code)
    c = G.dec.blocks[0].bn1.channels
    high, low = G.dec.blocks[0].bn1.adain
    assert torch.equal(high, flat[:, :2 * c]) and torch.equal(low, flat[:, 2 * c:4 * c])
    assert torch.equal(G.dec.blocks[0].bn2.adain[0], flat[:, 4 * c:6 * c])


def test_content_entropy_is_low_for_one_hot_codes():
    sharp = torch.zeros(1, 4, 8, 8)
    sharp[:, 0] = 50.0
    flat = torch.zeros(1, 4, 8, 8)
    assert float(content_entropy((sharp, sharp[..., ::2, ::2]))) < 1e-6
    # uniform over 4 channels: -p log p = log(4) / 4 per element, in both branches
    expected = 2 * torch.log(torch.tensor(4.0)).item() / 4
    assert float(content_entropy((flat, flat[..., ::2, ::2]))) == pytest.approx(expected, rel=1e-5)


def test_discriminator_scores_the_own_class_map():
    torch.manual_seed(0)
    data = ganforge.DataInfo(fields=frozenset({"class_label"}), num_classes=5, resolution=(32, 32))
    D = ganforge.build("discriminator", {"type": "semit", **TINY_D}, data)
    x = torch.randn(3, 3, 32, 32)
    label = torch.tensor([4, 0, 2])
    out = D(x, ganforge.Condition(class_label=label))
    with torch.no_grad():
        maps = D.cnn_c(torch.nn.functional.leaky_relu(D.cnn_f(x), 0.2))
    assert out.scores[0].shape == (3, 1, 16, 16)  # two stages: one (pad, pool)
    for i, c in enumerate(label.tolist()):
        assert torch.allclose(out.scores[0][i, 0], maps[i, c], atol=1e-6)

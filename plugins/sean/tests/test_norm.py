"""SEAN normalization: per-region broadcast, blending, noise, and its contract errors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import ganforge
from ganforge import DataInfo


def build_norm(data, spec, channels=6, seed=0):
    torch.manual_seed(seed)
    return ganforge.build("normalizer", spec, data, num_features=channels)


def run(norm, x, cond, seed=0):
    torch.manual_seed(seed)  # the noise draw
    with torch.no_grad():
        return norm(x, cond)


@pytest.mark.parametrize("kernel_size, reach", [(1, 0), (3, 1)])
def test_a_region_code_changes_the_output_only_in_its_region(registry, data, tiny, make_condition,
                                                             kernel_size, reach):
    """Eq. (style broadcast): code k reaches the pixels of class k, plus the reach of the
    style convs (0 px for 1x1, 1 px for 3x3) — nothing else."""
    norm = build_norm(data, {**tiny["norm"], "kernel_size": kernel_size, "param_free_norm": "instance"}).eval()
    with torch.no_grad():
        norm.noise_var.fill_(0.3)  # noise on, drawn identically in both runs
    cond = make_condition(data, batch=2, seed=5)
    x = torch.randn(2, 6, 32, 32)
    k = int(cond["label"][0, 12, 12])
    codes = cond["region_style"].clone()
    codes[:, k] += torch.randn(2, 8)
    before, after = run(norm, x, cond), run(norm, x, cond.replace(region_style=codes))

    region = (cond["label"] == k).float().unsqueeze(1)
    reached = F.max_pool2d(region, 2 * reach + 1, stride=1, padding=reach) > 0 if reach else region > 0
    changed = (after - before).abs().amax(1, keepdim=True) > 0
    assert changed[region > 0].all(), "every pixel of region k must feel its new code"
    assert not changed[~reached].any(), "pixels outside region k (and the conv reach) must not change"
    torch.testing.assert_close(after[~reached.expand_as(after)], before[~reached.expand_as(before)], rtol=0, atol=0)


def test_blending_weights_are_sigmoids_between_the_two_branches(registry, data, tiny, make_condition):
    norm = build_norm(data, {**tiny["norm"], "param_free_norm": "instance"}).eval()
    a_gamma, a_beta = norm.blending_weights()
    assert a_gamma.item() == 0.5 and a_beta.item() == 0.5  # learned from an even blend
    cond = make_condition(data, seed=2)
    x = torch.randn(2, 6, 32, 32)
    normalized = F.instance_norm(x)
    gamma_s, beta_s = norm.style_modulation(x, cond)
    gamma_o, beta_o = norm.spade.modulation(x, cond)
    for raw in (-80.0, -3.0, 0.7, 80.0):
        with torch.no_grad():
            norm.blending_gamma.fill_(raw)
            norm.blending_beta.fill_(-raw)
        a_gamma, a_beta = norm.blending_weights()
        assert 0.0 <= a_gamma.item() <= 1.0 and 0.0 <= a_beta.item() <= 1.0
        torch.testing.assert_close(a_gamma + a_beta, torch.ones(1))
        expected = (normalized * (1 + a_gamma * gamma_s + (1 - a_gamma) * gamma_o)
                    + a_beta * beta_s + (1 - a_beta) * beta_o)
        torch.testing.assert_close(run(norm, x, cond), expected.detach(), rtol=1e-5, atol=1e-5)
    # saturated: gamma comes only from the styles, beta only from the mask
    with torch.no_grad():
        norm.blending_gamma.fill_(80.0)
        norm.blending_beta.fill_(-80.0)
    torch.testing.assert_close(run(norm, x, cond), (normalized * (1 + gamma_s) + beta_o).detach(),
                               rtol=1e-5, atol=1e-5)


def test_noise_has_a_learned_per_channel_scale(registry, data, tiny, make_condition):
    norm = build_norm(data, {**tiny["norm"], "param_free_norm": "instance"}).eval()
    cond, x = make_condition(data), torch.randn(2, 6, 32, 32)
    assert torch.equal(run(norm, x, cond, seed=1), run(norm, x, cond, seed=2))  # scale starts at zero
    with torch.no_grad():
        norm.noise_var[2] = 0.5
    a, b = run(norm, x, cond, seed=1), run(norm, x, cond, seed=2)
    differs = (a - b).abs().flatten(2).amax(-1) > 0
    assert differs[:, 2].all() and not differs[:, [0, 1, 3, 4, 5]].any()


def test_without_styles_it_is_spade_plus_noise(registry, data, tiny, make_condition):
    spec = {**tiny["final_norm"], "param_free_norm": "instance"}
    norm = build_norm(data, spec)
    assert not any(n.startswith(("fc_mu", "conv_gamma", "blending")) for n, _ in norm.named_parameters())
    cond, x = make_condition(data), torch.randn(2, 6, 32, 32)
    gamma, beta = norm.spade.modulation(x, cond)
    torch.testing.assert_close(run(norm, x, cond), (F.instance_norm(x) * (1 + gamma) + beta).detach())
    label_only = DataInfo(fields=frozenset({"label"}), resolution=(32, 32), label_nc=4)
    assert ganforge.build("normalizer", spec, label_only, num_features=6) is not None


def test_a_run_without_style_matrices_is_a_condition_mismatch(registry, tiny):
    label_only = DataInfo(fields=frozenset({"label"}), resolution=(32, 32), label_nc=4)
    with pytest.raises(ganforge.ConditionMismatch, match="normalizer 'sean' needs condition field 'region_style'"):
        ganforge.build("normalizer", tiny["norm"], label_only, num_features=6)


def test_a_style_matrix_of_the_wrong_width_names_both_sides(registry, data, tiny, make_condition):
    norm = build_norm(data, tiny["norm"])
    cond = make_condition(data, style_length=16)
    with pytest.raises(ganforge.ConditionMismatch, match=r"'region_style' has shape \(2, 4, 16\), expected .*"
                                                         r"\(2, 4, 8\).*style_length"):
        norm(torch.randn(2, 6, 32, 32), cond)


def test_even_kernels_are_rejected(registry, data, tiny):
    with pytest.raises(ganforge.ConfigError, match="kernel_size must be odd"):
        build_norm(data, {**tiny["norm"], "kernel_size": 2})

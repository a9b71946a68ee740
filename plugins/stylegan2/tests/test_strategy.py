"""The StyleGAN2 recipe: lazy schedules, path length regularisation, style mixing, the
lazy-regularisation Adam correction in every config, and real training steps."""

import math

import pytest
import torch

import ganforge
from ganforge.config import load_config, read_config
from ganforge.run import Run
from ganforge.testing import short_run
from ganforge_stylegan2.strategy import PL_MEAN, StyleGAN2, StyleGAN2Params, lazy_adam_correction, mixing_cutoff

from .helpers import CONFIGS, data_info, tiny_generator

TINY_RUN = ["data.resolution=16", "train.batch_size=4", "models.generator.z_dim=16", "models.generator.w_dim=16",
            "models.generator.channel_base=128", "models.generator.channel_max=32",
            "models.discriminator.channel_base=128", "models.discriminator.channel_max=32"]


@pytest.mark.parametrize("config", sorted(p.name for p in CONFIGS.glob("*.yaml")))
def test_every_config_has_the_lazy_regularisation_adam_correction(config):
    """Paper Appendix B: lr * c and beta2 ** c with c = k / (k + 1), k = 4 (G) and 16 (D)."""
    cfg = read_config(CONFIGS / config)  # bases merged
    k_g, k_d = cfg["strategy"]["pl_interval"], cfg["train"]["r1"]["interval"]
    for name, k in (("generator", k_g), ("discriminator", k_d)):
        lr, beta2 = lazy_adam_correction(k)
        assert cfg["optim"][name]["lr"] == pytest.approx(lr, rel=1e-12)
        assert cfg["optim"][name]["betas"] == [0.0, pytest.approx(beta2, rel=1e-12)]
    assert (k_g, k_d) == (4, 16) and cfg["strategy"]["style_mixing_prob"] == 0.9
    assert cfg["strategy"]["pl_weight"] == 2.0 and cfg["strategy"]["pl_decay"] == 0.01


@pytest.mark.parametrize("config, gamma, steps", [("ffhq.yaml", 10.0, 781_250), ("lsun_church.yaml", 100.0, 2_750_000),
                                                  ("lsun_horse.yaml", 100.0, 3_125_000), ("lsun_cat.yaml", 10.0, 2_750_000)])
def test_paper_configs_follow_the_official_commands(config, gamma, steps):
    exp = load_config(CONFIGS / config, check=False)  # the dataset is not on this machine
    assert exp.train.r1.gamma == gamma and exp.train.steps == steps and exp.train.batch_size == 32
    assert exp.train.ema.beta == pytest.approx(0.5 ** (32 / 10_000))


def test_mixing_cutoff():
    torch.manual_seed(0)
    assert {mixing_cutoff(10, 0.0) for _ in range(50)} == {10}
    cutoffs = [mixing_cutoff(10, 1.0) for _ in range(400)]
    assert set(cutoffs) == set(range(1, 10))
    mixed = sum(mixing_cutoff(10, 0.9) < 10 for _ in range(2000)) / 2000
    assert abs(mixed - 0.9) < 0.03


def test_path_length_penalty_tracks_the_running_mean():
    recipe = StyleGAN2(StyleGAN2Params(style_mixing_prob=0.0), data_info(16))
    G = tiny_generator(16)
    run = Run(config=None, data=data_info(16), models=torch.nn.ModuleDict({"generator": G}))
    torch.manual_seed(0)
    penalty, length = recipe.path_length_penalty(run, batch_size=8)
    a = run.state[PL_MEAN]
    torch.testing.assert_close(a, 0.01 * length)  # lerp from 0 by pl_decay
    assert length > 0 and penalty > 0
    penalty.backward()
    mapping_grad = G.mapping_network.layers[0].weight.grad
    assert mapping_grad is not None and mapping_grad.abs().sum() > 0  # it also regularises f
    recipe.path_length_penalty(run, batch_size=8)
    assert run.state[PL_MEAN] > a


def test_path_length_is_the_norm_of_the_jacobian_transpose_times_y():
    """A linear 'generator' img = A w: E_y ||A^T y||^2 with y ~ N(0, I / (H W)) is ||A||_F^2 / (H W)."""
    from ganforge_stylegan2.strategy import path_lengths

    class Linear:
        def __init__(self):
            torch.manual_seed(0)
            self.A = torch.randn(3 * 4 * 4, 6)

        def synthesis(self, ws):
            return (ws[:, 0] @ self.A.T).reshape(-1, 3, 4, 4)

    lin = Linear()
    ws = torch.zeros(4000, 1, 6, requires_grad=True)
    lengths = path_lengths(lin, ws)
    expected = math.sqrt(lin.A.square().sum().item() / 16)
    assert abs(lengths.square().mean().sqrt().item() - expected) / expected < 0.03


def test_the_recipe_requires_r1(tmp_path):
    with pytest.raises(ganforge.ConfigError, match=r"strategy 'stylegan2': set train.r1.gamma > 0"):
        short_run(CONFIGS / "synthetic.yaml", tmp_path, 1, [*TINY_RUN, "train.r1.gamma=0"])


def test_training_steps_apply_lazy_r1_and_path_length(tmp_path):
    logs = short_run(CONFIGS / "synthetic.yaml", tmp_path, 9, TINY_RUN)
    assert [i for i, step in enumerate(logs) if "pl" in step] == [0, 4, 8]
    assert [i for i, step in enumerate(logs) if "r1" in step] == [0]
    assert all(math.isfinite(v) for step in logs for v in step.values())
    assert logs[4]["pl_mean"] > logs[0]["pl_mean"] > 0

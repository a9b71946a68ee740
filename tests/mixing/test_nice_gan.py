"""NICE-GAN's discriminator reuse (plugins/nice_gan, strategy ``discriminator_reuse``) with
a second recipe: a lab's CycleGAN-style recipe (registered by a test-local plugin) whose
generators own an encoder and read the ``source`` field StarGAN v2 translates from, judged
by NICE-GAN's discriminators, with StarGAN v2's plugin installed alongside. The reuse makes each generator encode with its
source domain discriminator's early layers, trained decoupled; the run trains with the
real trainer. (The strategy's unit tests with such a recipe are NICE-GAN's own:
plugins/nice_gan/tests/test_mixing.py.)"""

from __future__ import annotations

import copy
from typing import ClassVar

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import ganforge
import ganforge_nice_gan.plugin as nice_gan
import ganforge_stargan_v2.plugin as stargan_v2
from ganforge import Condition, StepResult
from ganforge.config import from_dict, verify
from ganforge.reuse import Embedding
from ganforge.testing import short_run, window_means


class EncoderDecoder(ganforge.Generator):
    """CycleGAN-style generator: an encoder (two stride-2 convs, 3 -> 4 -> 8 channels,
    NICE-GAN's embedding at ch 4) and a decoder back to the image."""

    requires = frozenset({"source"})
    capabilities = frozenset({"swappable_encoder"})

    def __init__(self, params, data):
        super().__init__(params, data)
        self.encoder = nn.Sequential(nn.Conv2d(3, 4, 4, 2, 1), nn.ReLU(), nn.Conv2d(4, 8, 4, 2, 1), nn.ReLU())
        self.decoder = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(8, 4, 3, 1, 1), nn.ReLU(),
                                     nn.Upsample(scale_factor=2), nn.Conv2d(4, 3, 3, 1, 1), nn.Tanh())

    def encoder_embedding(self):
        return Embedding(8, 4)

    def share_encoder(self, encoder):
        self.encoder = encoder

    def forward(self, cond):
        return self.decoder(self.encoder(cond["source"]))


def lsgan(scores, real: bool):
    return sum(F.mse_loss(s, torch.full_like(s, float(real))) for s in scores)


class CycleRecipe(ganforge.Strategy):
    """LSGAN + cycle (weight 10) between domains 0 (A) and 1 (B); a direction without
    images in the batch adds nothing."""

    networks = {"generator_ab": "generator", "generator_ba": "generator",
                "discriminator_a": "discriminator", "discriminator_b": "discriminator"}
    optimizers = {"generator": ("generator_ab", "generator_ba"),
                  "discriminator": ("discriminator_a", "discriminator_b")}
    requires = frozenset({"domain"})
    provides = frozenset({"source"})
    DIRECTIONS: ClassVar = ((0, "generator_ab", "generator_ba", "discriminator_a", "discriminator_b"),
                            (1, "generator_ba", "generator_ab", "discriminator_b", "discriminator_a"))

    def directions(self, batch):
        for domain, g, g_back, d_src, d_tgt in self.DIRECTIONS:
            x = batch["image"][batch["cond"]["domain"] == domain]
            if len(x):
                yield x, g, g_back, d_src, d_tgt

    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run, batch):
        m, loss = run.models, 0.0
        for x, g, _, d_src, d_tgt in self.directions(batch):
            with torch.no_grad():
                fake = m[g](Condition(source=x))
            loss = loss + lsgan(m[d_src](x).scores, True) + lsgan(m[d_tgt](fake).scores, False)
        return StepResult(loss, {"d": loss.detach()})

    @ganforge.hookimpl
    def ganforge_generator_step(self, run, batch):
        m, adv, cyc = run.models, 0.0, 0.0
        with run.frozen("discriminator_a", "discriminator_b"):
            for x, g, g_back, _, d_tgt in self.directions(batch):
                fake = m[g](Condition(source=x))
                adv = adv + lsgan(m[d_tgt](fake).scores, True)
                cyc = cyc + (m[g_back](Condition(source=fake)) - x).abs().mean()
            return StepResult(adv + 10 * cyc, {"adv": adv.detach(), "cyc": cyc.detach()})


class LocalPlugin:
    @staticmethod
    @ganforge.hookimpl
    def ganforge_register(register):
        register("generator", "encoder_decoder", EncoderDecoder)
        register("strategy", "cycle_recipe", CycleRecipe)


NICE_D = {"type": "nice_gan", "ch": 4, "n_dis": 6}
CONFIG = {
    "data": {"type": "synthetic", "resolution": 64, "num_domains": 2, "fields": ["domain"], "length": 64},
    "models": {"generator_ab": "encoder_decoder", "generator_ba": "encoder_decoder",
               "discriminator_a": NICE_D, "discriminator_b": NICE_D},
    "strategy": "cycle_recipe",
    "strategies": [{"type": "discriminator_reuse",
                    "pairs": {"generator_ab": "discriminator_a", "generator_ba": "discriminator_b"}}],
    "optim": {"generator": {"lr": 2e-3, "betas": [0.5, 0.999]}, "discriminator": {"lr": 2e-3, "betas": [0.5, 0.999]}},
    "train": {"batch_size": 4, "precision": "fp32", "seed": 0},
}


@pytest.fixture
def registry(isolated_registry):
    return isolated_registry(("nice_gan", nice_gan), ("stargan_v2", stargan_v2), ("local", LocalPlugin()))


def test_reuse_with_a_cycle_recipe_validates_and_trains(registry, tmp_path):
    verify(from_dict(CONFIG))
    logs = short_run(CONFIG, tmp_path, 24)
    assert len(logs) == 24 and {"d", "adv", "cyc"} <= set(logs[-1])
    first, last = window_means(logs, "cyc", 6)
    assert last < 0.8 * first  # the decoders learn to cycle through the discriminators' encoders


def test_the_reuse_checks_the_embedding_against_the_generators_encoder(registry, tmp_path):
    """NICE-GAN's embedding at ch 8 has 16 channels; the generators' encoder makes 8."""
    config = copy.deepcopy(CONFIG)
    config["models"]["discriminator_a"] = {**NICE_D, "ch": 8}
    with pytest.raises(ganforge.ConfigError, match=r"models.generator_ab with models.discriminator_a: the generator's "
                                                   r"encoder produces 8 channels at stride 4, but .* offer 8 channels "
                                                   r"at stride 2; 16 channels at stride 4"):
        short_run(config, tmp_path, 1)

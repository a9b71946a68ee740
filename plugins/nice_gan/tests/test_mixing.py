"""Discriminator reuse with another paper's recipe: a CycleGAN-style recipe whose
generators own an encoder, trained with NICE-GAN's discriminators through the
``discriminator_reuse`` strategy."""

from __future__ import annotations

from typing import ClassVar

import pytest
import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
import ganforge_nice_gan.plugin as nice_gan
from ganforge import Condition, StepResult
from ganforge.reuse import Embedding, SharedEncoder, shared_encoder

from .helpers import TINY_D, batch_of, changed, make_run, snapshot, step

# the same definition as StarGAN v2's, so both plugins can be loaded together
SOURCE = ganforge.FieldSpec("source", "bilinear", "float", "B,3,H,W", "image to translate, in [-1, 1]")


class TinyGeneratorParams(ganforge.Params):
    ch: int = Field(4, ge=1, description="base channels")


class TinyResnetGenerator(ganforge.Generator):
    """CycleGAN-style encoder (two stride-2 convs) and decoder (two upsampling convs)."""

    Params: ClassVar = TinyGeneratorParams
    requires = frozenset({"source"})
    capabilities = frozenset({"swappable_encoder"})

    def __init__(self, params, data):
        super().__init__(params, data)
        ch = params.ch
        self.encoder = nn.Sequential(nn.Conv2d(3, ch, 4, 2, 1), nn.ReLU(), nn.Conv2d(ch, 2 * ch, 4, 2, 1), nn.ReLU())
        self.decoder = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(2 * ch, ch, 3, 1, 1), nn.ReLU(),
                                     nn.Upsample(scale_factor=2), nn.Conv2d(ch, 3, 3, 1, 1), nn.Tanh())

    def encoder_embedding(self):
        return Embedding(2 * self.params.ch, 4)

    def share_encoder(self, encoder):
        self.encoder = encoder

    def forward(self, cond):
        return self.decoder(self.encoder(cond["source"]))


class PlainDiscriminator(ganforge.Discriminator):
    """A PatchGAN without an encoding to offer."""

    def __init__(self, params, data):
        super().__init__(params, data)
        self.net = nn.Conv2d(3, 1, 4, 2, 1)

    def forward(self, image, cond=None):
        return ganforge.DiscriminatorOutput(scores=[self.net(image)])


def lsgan(scores, real):
    return sum(F.mse_loss(s, torch.full_like(s, float(real))) for s in scores)


class TinyCycleGAN(ganforge.Strategy):
    """CycleGAN-style recipe (LSGAN + cycle); it leaves the discriminators unfrozen in the
    generator step (their optimiser does not step after it), as many recipes do."""

    networks = {"generator_ab": "generator", "generator_ba": "generator",
                "discriminator_a": "discriminator", "discriminator_b": "discriminator"}
    optimizers = {"generator": ("generator_ab", "generator_ba"),
                  "discriminator": ("discriminator_a", "discriminator_b")}
    requires = frozenset({"domain"})
    provides = frozenset({"source"})
    GROUPS: ClassVar[bool] = False

    @staticmethod
    def split(batch):
        image, domain = batch["image"], batch["cond"]["domain"]
        return image[domain == 0], image[domain == 1]

    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run, batch):
        m, (x_a, x_b) = run.models, self.split(batch)
        with torch.no_grad():
            fake_b = m["generator_ab"](Condition(source=x_a))
            fake_a = m["generator_ba"](Condition(source=x_b))
        loss = (lsgan(m["discriminator_a"](x_a).scores, True) + lsgan(m["discriminator_a"](fake_a).scores, False)
                + lsgan(m["discriminator_b"](x_b).scores, True) + lsgan(m["discriminator_b"](fake_b).scores, False))
        return StepResult(loss)

    @ganforge.hookimpl
    def ganforge_generator_step(self, run, batch):
        m, (x_a, x_b) = run.models, self.split(batch)
        fake_b = m["generator_ab"](Condition(source=x_a))
        fake_a = m["generator_ba"](Condition(source=x_b))
        cyc = ((m["generator_ba"](Condition(source=fake_b)) - x_a).abs().mean()
               + (m["generator_ab"](Condition(source=fake_a)) - x_b).abs().mean())
        adv = lsgan(m["discriminator_b"](fake_b).scores, True) + lsgan(m["discriminator_a"](fake_a).scores, True)
        return StepResult(adv + 10 * cyc)


class TinyCycleGANWithGroups(TinyCycleGAN):
    """The same recipe giving its generators their own learning rates."""

    @ganforge.hookimpl
    def ganforge_param_groups(self, run, optimizer):
        if optimizer == "generator":
            return [{"params": run.models["generator_ab"].parameters(), "lr": 1e-3},
                    {"params": run.models["generator_ba"].parameters()}]
        return None


class LocalPlugin:
    @staticmethod
    @ganforge.hookimpl
    def ganforge_register(register):
        register.condition_field(SOURCE)
        register("generator", "tiny_resnet", TinyResnetGenerator)
        register("discriminator", "plain", PlainDiscriminator)
        register("strategy", "tiny_cyclegan", TinyCycleGAN)
        register("strategy", "tiny_cyclegan_groups", TinyCycleGANWithGroups)


MODELS = {"generator_ab": {"type": "tiny_resnet"}, "generator_ba": {"type": "tiny_resnet"},
          "discriminator_a": TINY_D, "discriminator_b": TINY_D}
REUSE = {"type": "discriminator_reuse",
         "pairs": {"generator_ab": "discriminator_a", "generator_ba": "discriminator_b"}}


@pytest.fixture
def registry(isolated_registry):
    return isolated_registry(("nice_gan", nice_gan), ("local", LocalPlugin()))


def encoder_ids(run):
    return {id(p) for r in ("discriminator_a", "discriminator_b") for p in run.models[r].encoder.parameters()}


def snapshot_of(snap, prefix):
    """The part of a `snapshot` under ``prefix``, named as the submodule names it."""
    return {n[len(prefix):]: t for n, t in snap.items() if n.startswith(prefix)}


def optimised_ids(optimizer):
    return {id(p) for g in optimizer.param_groups for p in g["params"]}


def test_setup_makes_the_discriminators_layers_the_generators_encoder(registry):
    run, optims = make_run(MODELS, "tiny_cyclegan", (REUSE,))
    m = run.models
    for g_role, d_role in REUSE["pairs"].items():
        assert isinstance(m[g_role].encoder, SharedEncoder)
        assert [id(p) for p in m[g_role].encoder.parameters()] == [id(p) for p in m[d_role].encoder.parameters()]
    assert not encoder_ids(run) & optimised_ids(optims["generator"])
    assert encoder_ids(run) <= optimised_ids(optims["discriminator"])
    x = torch.rand(2, 3, 64, 64) * 2 - 1  # G_ab now translates from D_a's embedding
    m.eval()  # no power iteration between the two calls
    torch.testing.assert_close(m["generator_ab"](Condition(source=x)),
                               m["generator_ab"].decoder(m["discriminator_a"].encode(x).embedding))


def test_generator_step_keeps_the_shared_encoder_fixed(registry):
    run, optims = make_run(MODELS, "tiny_cyclegan", (REUSE,))
    m = run.models
    before = {role: snapshot(net) for role, net in m.items()}
    step(run, optims, "generator", batch_of())
    for g_role, d_role in REUSE["pairs"].items():
        assert not changed(m[d_role].encoder, snapshot_of(before[d_role], "encoder.")), d_role
        assert changed(m[g_role].decoder, snapshot_of(before[g_role], "decoder.")), g_role
    assert all(p.requires_grad for r in ("discriminator_a", "discriminator_b") for p in m[r].parameters())


def test_discriminator_step_trains_the_shared_encoder(registry):
    run, optims = make_run(MODELS, "tiny_cyclegan", (REUSE,))
    m = run.models
    before = {role: snapshot(net) for role, net in m.items()}
    step(run, optims, "discriminator", batch_of())
    for g_role, d_role in REUSE["pairs"].items():
        assert changed(m[d_role].encoder, snapshot_of(before[d_role], "encoder.")), d_role
        assert not changed(m[g_role].decoder, snapshot_of(before[g_role], "decoder.")), g_role


def test_without_the_strategy_the_generator_step_moves_the_shared_layers(registry):
    """Control: the same sharing done by hand, without decoupled training."""
    def share(run):
        for g_role, d_role in REUSE["pairs"].items():
            G = run.models[g_role]
            G.share_encoder(shared_encoder(run.models[d_role], G.encoder_embedding(), "by hand"))

    run, optims = make_run(MODELS, "tiny_cyclegan", rewire=share)
    before = snapshot(run.models["discriminator_a"].encoder)
    step(run, optims, "generator", batch_of())
    assert changed(run.models["discriminator_a"].encoder, before)


def test_coupled_reuse_lets_the_generator_step_train_the_shared_layers(registry):
    """The paper's ablation: both optimisers step the shared layers, the generator's loss reaches them."""
    run, optims = make_run(MODELS, "tiny_cyclegan", ({**REUSE, "decoupled": False},))
    assert encoder_ids(run) <= optimised_ids(optims["generator"]) & optimised_ids(optims["discriminator"])
    before = snapshot(run.models["discriminator_a"].encoder)
    step(run, optims, "generator", batch_of())
    assert changed(run.models["discriminator_a"].encoder, before)


def test_the_recipes_own_groups_lose_the_shared_layers(registry):
    run, optims = make_run(MODELS, "tiny_cyclegan_groups", (REUSE,))
    groups = optims["generator"].param_groups
    assert [g["lr"] for g in groups] == [1e-3, 1e-2]
    assert not encoder_ids(run) & optimised_ids(optims["generator"])
    assert {id(p) for p in run.models["generator_ab"].decoder.parameters()} <= {id(p) for p in groups[0]["params"]}


def test_a_discriminator_without_an_encoding_is_a_config_error(registry):
    models = {**MODELS, "discriminator_a": {"type": "plain"}}
    with pytest.raises(ganforge.ConfigError, match=r"models.generator_ab with models.discriminator_a: "
                                                   r"PlainDiscriminator has no reuse_layers\(\)"):
        make_run(models, "tiny_cyclegan", (REUSE,))


def test_embedding_shapes_must_agree(registry):
    models = {**MODELS, "generator_ab": {"type": "tiny_resnet", "ch": 3}}
    with pytest.raises(ganforge.ConfigError, match=r"generator's encoder produces 6 channels at stride 4, but the "
                                                   r"discriminator's early layers offer 4 channels at stride 2; "
                                                   r"8 channels at stride 4"):
        make_run(models, "tiny_cyclegan", (REUSE,))


def test_unknown_roles_are_named(registry):
    with pytest.raises(ganforge.ConfigError, match="pairs names generator role 'generator'"):
        make_run(MODELS, "tiny_cyclegan", ({"type": "discriminator_reuse"},))


def test_a_run_without_its_config_is_named(registry):
    from ganforge.run import Run
    from ganforge_nice_gan.reuse import DiscriminatorReuse, ReuseParams

    run, _ = make_run(MODELS, "tiny_cyclegan")
    bare = Run(config=None, data=run.data, models=run.models)
    with pytest.raises(ganforge.ConfigError, match="reads the recipe's optimisers from run.config"):
        DiscriminatorReuse(ReuseParams(pairs=REUSE["pairs"]), run.data).ganforge_setup(bare)

"""The paired-conditional recipe on a hand-made Run: what each step computes, where its
gradients go, and that a few Adam steps on a fixed batch make progress."""

import pluggy
import pytest
import torch
from torch import nn

import ganforge
from ganforge.run import Run
from ganforge_spade.strategy import PairedConditional

NO_VGG = {"type": "paired_conditional", "vgg": None}
RANDOM_VGG = {"type": "paired_conditional", "vgg": {"type": "vgg19_perceptual", "weights": "none"}}


@pytest.fixture
def make_run(spade, tiny):
    """``make_run(data, encoder=False)``: a Run holding tiny G and D (and E)."""
    def make(data, encoder=False, seed=0):
        torch.manual_seed(seed)
        models = nn.ModuleDict({
            "generator": ganforge.build("generator", {**tiny["generator"], "use_vae": encoder, "z_dim": 8}, data),
            "discriminator": ganforge.build("discriminator", tiny["discriminator"], data)})
        if encoder:
            models["encoder"] = ganforge.build("encoder", tiny["encoder"], data)
        return Run(config=None, data=data, models=models, routes=dict(PairedConditional.conditioners))
    return make


@pytest.fixture
def make_batch(make_condition):
    """``make_batch(data)``: blocky label maps and their "photo", one colour per class."""
    def make(data, seed=0):
        cond = make_condition(data, seed=seed)
        palette = torch.linspace(-1, 1, 6 * 3).view(6, 3)
        return {"image": palette[cond["label"]].permute(0, 3, 1, 2).contiguous(), "cond": cond}
    return make


def hooks(strategy):
    """The run-scoped manager the trainer builds, holding only this recipe."""
    pm = pluggy.PluginManager("ganforge")
    pm.add_hookspecs(ganforge.hookspecs.RunSpecs)
    pm.register(strategy)
    return pm.hook


def test_declared_networks_and_optimisers(spade):
    record = spade.get("strategy", "paired_conditional")
    assert record.cls.networks == {"generator": "generator", "discriminator": "discriminator", "encoder": "encoder"}
    assert record.cls.optional_networks == {"encoder"}
    assert record.cls.optimizers == {"generator": ("generator", "encoder"), "discriminator": ("discriminator",)}
    p = record.params()
    assert (p.gan_loss.type, p.feat.type, p.vgg.type, p.kld.type) == ("hinge", "feature_matching",
                                                                      "vgg19_perceptual", "kl")
    assert (p.lambda_feat, p.lambda_vgg, p.lambda_kld, p.lambda_l1) == (10.0, 10.0, 0.05, 0.0)  # no L1 in SPADE


def test_generator_step_is_the_weighted_sum_and_spares_d(spade, data, make_run, make_batch):
    strategy = ganforge.build("strategy", RANDOM_VGG, data)
    run, batch = make_run(data, encoder=True), make_batch(data)
    result = hooks(strategy).ganforge_generator_step(run=run, batch=batch)
    logs = result.logs
    assert set(logs) == {"g_gan", "g_feat", "g_vgg", "kld"}
    expected = logs["g_gan"] + 10 * logs["g_feat"] + 10 * logs["g_vgg"] + 0.05 * logs["kld"]
    torch.testing.assert_close(result.loss.detach(), expected)
    result.loss.backward()
    assert all(p.grad is None for p in run.models["discriminator"].parameters())
    assert all(p.requires_grad for p in run.models["discriminator"].parameters())  # unfrozen afterwards
    assert all(p.grad is not None for p in run.models["generator"].parameters())
    assert all(p.grad is not None for p in run.models["encoder"].parameters())


def test_pixel_l1_is_opt_in_and_weighted(spade, data, make_run, make_batch):
    """lambda_l1 > 0 adds pix2pix's mean |G(s) - x| to G's loss; 0 (SPADE's) computes nothing."""
    run, batch = make_run(data), make_batch(data)
    off = hooks(ganforge.build("strategy", NO_VGG, data)).ganforge_generator_step(run=run, batch=batch)
    assert "g_l1" not in off.logs
    strategy = ganforge.build("strategy", {**NO_VGG, "lambda_l1": 20.0}, data)
    result = hooks(strategy).ganforge_generator_step(run=run, batch=batch)
    with torch.no_grad():
        fake = run.models["generator"](batch["cond"])
    torch.testing.assert_close(result.logs["g_l1"], (fake - batch["image"]).abs().mean(), atol=1e-3, rtol=0)
    logs = result.logs  # (G's spectral norms step their power iteration per call: compare within one call)
    torch.testing.assert_close(result.loss.detach(), logs["g_gan"] + 10 * logs["g_feat"] + 20 * logs["g_l1"])


def test_discriminator_step_spares_g_and_e(spade, data, make_run, make_batch):
    strategy = ganforge.build("strategy", NO_VGG, data)
    run, batch = make_run(data, encoder=True), make_batch(data)
    result = hooks(strategy).ganforge_discriminator_step(run=run, batch=batch)
    assert set(result.logs) == {"d_fake", "d_real"}
    torch.testing.assert_close(result.loss.detach(), result.logs["d_fake"] + result.logs["d_real"])
    result.loss.backward()
    assert all(p.grad is not None for p in run.models["discriminator"].parameters())
    assert all(p.grad is None for role in ("generator", "encoder") for p in run.models[role].parameters())


def test_steps_under_bf16_autocast(spade, data, make_run, make_batch):
    strategy = ganforge.build("strategy", RANDOM_VGG, data)
    run, batch = make_run(data, encoder=True), make_batch(data)
    run.amp_dtype = torch.bfloat16
    for step in (strategy.ganforge_discriminator_step, strategy.ganforge_generator_step):
        result = step(run, batch)
        assert result.loss.dtype == torch.float32 and torch.isfinite(result.loss)
        result.loss.backward()
    assert all(p.grad is not None and p.grad.dtype == torch.float32 for p in run.models["generator"].parameters())


def test_disabled_losses_are_left_out(spade, data, make_run, make_batch):
    strategy = ganforge.build("strategy", {"type": "paired_conditional", "feat": None, "vgg": None,
                                           "gan_loss": "lsgan"}, data)
    result = strategy.ganforge_generator_step(make_run(data), make_batch(data))
    assert set(result.logs) == {"g_gan"}  # no encoder: no KL either
    assert result.loss.item() == pytest.approx(result.logs["g_gan"].item())


def test_gan_loss_slot_must_be_adversarial(spade, data):
    with pytest.raises(ganforge.ConfigError, match="strategy.gan_loss: loss 'kl'.*needs a AdversarialLoss"):
        ganforge.build("strategy", {"type": "paired_conditional", "gan_loss": "kl"}, data)


def test_sample_rows_are_label_map_generated_real(spade, data, make_run, make_batch):
    strategy = ganforge.build("strategy", NO_VGG, data)
    run, batch = make_run(data), make_batch(data)
    run.models.eval()  # as the trainer samples: no power iteration, running statistics
    grid = hooks(strategy).ganforge_sample(run=run, batch=batch)
    assert list(grid) == ["label map", "generated", "real"]
    assert torch.equal(grid["real"], batch["image"]) and torch.equal(grid["label map"], batch["cond"]["label"])
    with torch.no_grad():
        torch.testing.assert_close(grid["generated"], run.models["generator"](batch["cond"]))


def adam(params, lr):
    return torch.optim.Adam(params, lr=lr, betas=(0.0, 0.9))


def test_discriminator_steps_separate_real_from_fake(spade, data, make_run, make_batch):
    strategy = ganforge.build("strategy", NO_VGG, data)
    run, batch = make_run(data), make_batch(data)
    opt = adam(run.models["discriminator"].parameters(), 2e-3)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        result = strategy.ganforge_discriminator_step(run, batch)
        result.loss.backward()
        opt.step()
        losses.append(result.loss.item())
    with torch.no_grad():
        fake = run.models["generator"](batch["cond"])
        d = run.models["discriminator"]
        real_score = d(batch["image"], batch["cond"]).scores[0].mean()
        fake_score = d(fake, batch["cond"]).scores[0].mean()
    assert losses[-1] < 0.9 * losses[0]
    assert real_score - fake_score > 0.2


def test_generator_steps_lower_the_generator_loss(spade, data, make_run, make_batch):
    strategy = ganforge.build("strategy", NO_VGG, data)
    run, batch = make_run(data), make_batch(data)
    opt = adam(run.models["generator"].parameters(), 2e-3)
    losses = []
    for _ in range(15):
        opt.zero_grad()
        result = strategy.ganforge_generator_step(run, batch)
        result.loss.backward()
        opt.step()
        losses.append(result.loss.item())
    assert losses[-1] < 0.8 * losses[0]

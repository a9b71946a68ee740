"""The recipe: targets, the diversity schedule, R1, the steps, training on a tiny batch."""

from __future__ import annotations

from typing import ClassVar

import pytest
import torch

import ganforge
from ganforge_stargan_v2.strategy import StarGANv2, draw_targets, lambda_ds_at, r1_penalty

from .helpers import TINY, batch_of, data_info, tiny_run


def test_declared_networks_and_optimisers():
    assert StarGANv2.networks == {"generator": "generator", "discriminator": "discriminator", "mapping": "encoder",
                                  "style_encoder": "encoder", "fan": "encoder"}
    assert StarGANv2.optional_networks == {"fan"}
    assert StarGANv2.optimizers["mapping"] == ("mapping",)  # its own optimiser: f_lr = 1e-6
    # the official solver's four updates per iteration
    assert StarGANv2.updates == (("discriminator", "latent"), ("discriminator", "reference"),
                                 ("generator", "latent"), ("generator", "reference"))


def test_diversity_weight_decays_linearly_to_zero():
    assert [lambda_ds_at(2.0, 100_000, s) for s in (0, 25_000, 50_000, 100_000, 150_000)] == [2.0, 1.5, 1.0, 0.0, 0.0]
    data = data_info(resolution=16)
    run, strategy = tiny_run(data, {"lambda_ds": 1.0, "ds_iter": 10})
    batch = batch_of(data)
    strategy.ganforge_prepare_batch(run, batch)
    run.step = 4
    for m in ("latent", "reference"):
        result = strategy.ganforge_generator_step(run, {**batch, "update": m})
        assert result.logs["lambda_ds"] == pytest.approx(0.6)
        # each update's total is the weighted sum of its logged parts
        expected = (result.logs[f"{m}_adv"] + result.logs[f"{m}_sty"] - 0.6 * result.logs[f"{m}_ds"]
                    + result.logs[f"{m}_cyc"])
        assert result.loss.item() == pytest.approx(float(expected), rel=1e-5)
        # the official solver steps G, F and E after the latent loss, G alone after the reference loss
        assert result.optimizers == (None if m == "latent" else ("generator",))


def test_prepared_condition_drives_the_generator_as_it_is():
    """What generic evaluation does: G on the prepared condition = a latent-guided
    translation of the source to the drawn target domain."""
    data = data_info(resolution=16)
    run, strategy = tiny_run(data)
    batch = batch_of(data)
    strategy.ganforge_prepare_batch(run, batch)
    cond, t = batch["cond"], batch["stargan_v2_targets"]
    assert torch.equal(cond["source"], batch["image"]) and torch.equal(cond["z"], t.z)
    with torch.no_grad():
        expected = run.models["mapping"](None, ganforge.Condition(z=t.z, domain=t.domain))["style"]
        torch.testing.assert_close(cond["style"], expected)
        assert run.models["generator"](cond).shape == batch["image"].shape


def test_targets_are_drawn_from_the_batch():
    image = torch.arange(6.0).view(6, 1, 1, 1).expand(6, 3, 2, 2)
    domain = torch.tensor([0, 0, 1, 1, 1, 2])
    torch.manual_seed(0)
    t = draw_targets(image, domain, latent_dim=5)
    ids, ids2 = t.reference[:, 0, 0, 0].long(), t.reference2[:, 0, 0, 0].long()
    assert sorted(ids.tolist()) == list(range(6))  # a permutation
    assert torch.equal(domain[ids], t.domain) and torch.equal(domain[ids2], t.domain)  # x2 shares x1's domain
    assert t.z.shape == t.z2.shape == (6, 5) and not torch.equal(t.z, t.z2)


class LinearD(ganforge.Discriminator):
    """D_y(x) = <w_y, x>: the gradient of the selected logit w.r.t. x is w_y."""

    requires: ClassVar = frozenset({"domain"})

    def __init__(self, weights: torch.Tensor):
        super().__init__(ganforge.NoParams(), data_info())
        self.w = torch.nn.Parameter(weights)

    def forward(self, image, cond):
        logits = torch.einsum("bchw,dchw->bd", image, self.w)
        return ganforge.DiscriminatorOutput(scores=[logits[torch.arange(image.shape[0]), cond["domain"]]])


def test_r1_of_a_linear_discriminator_is_half_the_squared_weight_norm():
    w = torch.randn(2, 3, 16, 16)
    d = LinearD(w)
    x = torch.randn(4, 3, 16, 16, requires_grad=True)
    domain = torch.tensor([0, 1, 1, 0])
    logits = d(x, ganforge.Condition(domain=domain)).scores[0]
    expected = 0.5 * w.square().flatten(1).sum(1)[domain].mean()
    torch.testing.assert_close(r1_penalty(logits, x), expected)
    # and in the D step, where it enters with lambda_reg for both the latent and reference halves
    data = data_info(resolution=16)
    run, strategy = tiny_run(data, {"lambda_reg": 3.0})
    run.models["discriminator"] = d
    batch = batch_of(data, domains=domain.tolist())
    strategy.ganforge_prepare_batch(run, batch)
    for m in ("latent", "reference"):  # R1 in each of the two D updates, as the official solver
        result = strategy.ganforge_discriminator_step(run, {**batch, "update": m})
        logs = result.logs
        torch.testing.assert_close(logs[f"{m}_r1"], expected)
        assert result.loss.item() == pytest.approx(
            float(logs[f"{m}_d_real"] + 3.0 * logs[f"{m}_r1"] + logs[f"{m}_d_fake"]), rel=1e-5)
        d.w.grad = None
        result.loss.backward()
        assert d.w.grad is not None and d.w.grad.abs().sum() > 0


def test_reference_part_gives_the_style_encoder_no_gradient():
    """As in the official solver, only the latent part updates E (and F)."""
    data = data_info(resolution=16)
    run, strategy = tiny_run(data)
    batch = batch_of(data)
    strategy.ganforge_prepare_batch(run, batch)
    parts = strategy.generator_losses(run, batch, "reference")
    sum(parts.values()).backward()
    assert all(p.grad is None for p in run.models["style_encoder"].parameters())
    assert all(p.grad is None for p in run.models["mapping"].parameters())
    assert all(p.grad is not None for p in run.models["generator"].parameters())


def test_sample_grid_layout():
    data = data_info(resolution=16, num_domains=3)
    run, strategy = tiny_run(data, {"sample_styles": 2})
    batch = batch_of(data, b=4)
    images = strategy.ganforge_sample(run, batch)
    # sources, 3 domains x 2 styles, references, reference-guided: rows of 4
    assert list(images) == ["source", *[f"domain {d}, z {k}" for d in range(3) for k in (1, 2)], "reference",
                            "reference-guided"]
    assert all(r.shape == (4, 3, 16, 16) and torch.isfinite(r).all() for r in images.values())
    assert torch.equal(images["source"], batch["image"]) and torch.equal(images["reference"], batch["image"].roll(1, 0))


def test_a_few_steps_lower_the_style_reconstruction_loss():
    """The official schedule on one fixed batch with fixed targets, the trainer's way (one
    optimiser per network): D latent, D reference, G + F + E latent, G reference."""
    data = data_info(resolution=16)
    run, strategy = tiny_run(data, {"lambda_ds": 0.0})
    optims = {name: torch.optim.Adam([p for r in roles for p in run.models[r].parameters()], lr=1e-3,
                                     betas=(0.0, 0.99))
              for name, roles in StarGANv2.optimizers.items()}
    batch = batch_of(data, b=4, seed=3)

    def step():
        b = dict(batch)
        torch.manual_seed(0)  # the same targets every step
        strategy.ganforge_prepare_batch(run, b)
        sty = 0.0
        for phase, mode in StarGANv2.updates:
            b["update"] = mode
            step_hook = (strategy.ganforge_discriminator_step if phase == "discriminator"
                         else strategy.ganforge_generator_step)
            result = step_hook(run, b)
            names = result.optimizers or (("discriminator",) if phase == "discriminator"
                                          else ("generator", "mapping", "style_encoder"))
            for name in names:
                optims[name].zero_grad()
            result.loss.backward()
            for name in names:
                optims[name].step()
            sty += float(result.logs.get(f"{mode}_sty", 0.0))
        return sty

    first = step()
    for _ in range(15):
        last = step()
    assert last < 0.7 * first, (first, last)


class BrightnessMasks(ganforge.Encoder):
    """A stand-in for FAN: masks from the image's brightness; records what it saw."""

    provides: ClassVar = frozenset({"face_mask"})

    def __init__(self):
        super().__init__(ganforge.NoParams(), data_info())
        self.seen: list[torch.Tensor] = []

    def forward(self, image, cond):
        self.seen.append(image.detach())
        m = (image.mean(1, keepdim=True) > 0).to(image.dtype)
        return {"face_mask": torch.cat([m, 1 - m], dim=1)}


def test_face_masks_of_the_source_and_of_the_fake_for_the_cycle():
    """CelebA-HQ wiring: the generator's high-pass path reads masks of the source; the
    cycle step translates the fake back with the fake's own masks, as the official solver."""
    data = data_info(resolution=32, fields=("domain", "face_mask"))
    run, strategy = tiny_run(data, generator={**TINY["generator"], "w_hpf": 1.0})
    run.models["fan"] = fan = BrightnessMasks()
    batch = batch_of(data, b=2)
    strategy.ganforge_prepare_batch(run, batch)
    assert torch.equal(fan.seen[0], batch["image"])
    torch.testing.assert_close(batch["cond"]["face_mask"], fan(batch["image"], batch["cond"])["face_mask"])
    fan.seen.clear()
    parts = strategy.generator_losses(run, batch, "latent")
    assert len(fan.seen) == 1 and not torch.equal(fan.seen[0], batch["image"])  # the fake's masks
    sum(parts.values()).backward()
    assert all(p.grad is not None for p in run.models["generator"].parameters())

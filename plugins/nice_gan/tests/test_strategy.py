"""The NICE-GAN recipe: LSGAN values, the official objective, decoupled training."""

import pytest
import torch
import torch.nn.functional as F

import ganforge
from ganforge import Condition
from ganforge_nice_gan.strategy import NICEGANParams, lsgan

from .helpers import TINY_MODELS, batch_of, changed, make_run, snapshot, step


def test_lsgan_values():
    outs = [torch.tensor([[0.5]]), torch.tensor([[2.0, 0.0]])]
    assert lsgan(outs, real=True).item() == pytest.approx(0.25 + 1.0)  # (0.5-1)^2 + mean(1, 1)
    assert lsgan(outs, real=False).item() == pytest.approx(0.25 + 2.0)  # 0.5^2 + mean(4, 0)


def official_losses(run, x_a, x_b, p):
    """The official NICE.py objective for one A and one B image, written out term by term."""
    m = run.models
    mse = lambda o, t: F.mse_loss(o, torch.full_like(o, t))  # noqa: E731
    heads = lambda out: [*out.scores, out.extra["cam_logit"]]  # noqa: E731
    with torch.no_grad():
        ra, rb = m["discriminator_a"](x_a), m["discriminator_b"](x_b)
        fake_ab = m["generator_ab"](Condition(embedding=ra.extra["embedding"]))
        fake_ba = m["generator_ba"](Condition(embedding=rb.extra["embedding"]))
        fa, fb = m["discriminator_a"](fake_ba), m["discriminator_b"](fake_ab)
        d = sum(mse(o, 1.0) for o in heads(ra) + heads(rb)) + sum(mse(o, 0.0) for o in heads(fa) + heads(fb))
        aba = m["generator_ba"](Condition(embedding=fb.extra["embedding"]))
        bab = m["generator_ab"](Condition(embedding=fa.extra["embedding"]))
        aa = m["generator_ba"](Condition(embedding=ra.extra["embedding"]))
        bb = m["generator_ab"](Condition(embedding=rb.extra["embedding"]))
        g = (p.adv_weight * sum(mse(o, 1.0) for o in heads(fa) + heads(fb))
             + p.cycle_weight * ((aba - x_a).abs().mean() + (bab - x_b).abs().mean())
             + p.recon_weight * ((aa - x_a).abs().mean() + (bb - x_b).abs().mean()))
    return d, g


def test_losses_equal_the_official_objective(ganforge_registry):
    run, _ = make_run(TINY_MODELS, {"type": "nice_gan", "adv_weight": 2.0, "cycle_weight": 3.0, "recon_weight": 5.0})
    run.models.eval()  # spectral norm's power iteration would move u, v between the calls
    batch = batch_of((1, 0))  # one image of each domain, B first: the split must not care
    params = NICEGANParams(**run.config.strategy.params)
    d_ref, g_ref = official_losses(run, batch["image"][1:], batch["image"][:1], params)
    d = run.hook.ganforge_discriminator_step(run=run, batch=batch)
    g = run.hook.ganforge_generator_step(run=run, batch=batch)
    torch.testing.assert_close(d.loss, d_ref)
    torch.testing.assert_close(g.loss, g_ref)
    assert {"g_adv_ab", "g_cyc_ab", "g_rec_ab", "g_adv_ba", "d_real_a", "d_fake_b"} <= set(g.logs) | set(d.logs)


def test_generator_step_leaves_discriminators_and_encoders_unchanged(ganforge_registry):
    run, optims = make_run(TINY_MODELS)
    m = run.models
    before = {role: snapshot(net) for role, net in m.items()}
    step(run, optims, "generator", batch_of())
    for role in ("discriminator_a", "discriminator_b"):
        assert not changed(m[role], before[role]), role  # encoder E included
        assert all(p.requires_grad for p in m[role].parameters())  # unfrozen afterwards
    for role in ("generator_ab", "generator_ba"):
        assert changed(m[role], before[role]) == set(before[role]), role
    enc_ids = {id(p) for r in ("discriminator_a", "discriminator_b") for p in m[r].encoder.parameters()}
    assert not enc_ids & {id(p) for g in optims["generator"].param_groups for p in g["params"]}


def test_discriminator_step_trains_the_encoders_not_the_generators(ganforge_registry):
    run, optims = make_run(TINY_MODELS)
    m = run.models
    before = {role: snapshot(net) for role, net in m.items()}
    step(run, optims, "discriminator", batch_of())
    for role in ("discriminator_a", "discriminator_b"):
        moved = changed(m[role], before[role])
        assert {"encoder.layers.0.1.parametrizations.weight.original", "encoder.cam.lamda",
                "encoder.cam.eta.parametrizations.weight.original"} <= moved, role
    for role in ("generator_ab", "generator_ba"):
        assert not changed(m[role], before[role]), role


def test_a_batch_of_one_domain_trains_one_direction(ganforge_registry):
    """Same log keys whatever the batch holds (data-parallel ranks average them by position)."""
    run, _ = make_run(TINY_MODELS)
    g = run.hook.ganforge_generator_step(run=run, batch=batch_of((0, 0)))
    assert len(g.logs) == 6 and torch.isfinite(g.loss)
    assert all(g.logs[f"g_{k}_ab"] > 0 and g.logs[f"g_{k}_ba"] == 0 for k in ("adv", "cyc", "rec"))
    d = run.hook.ganforge_discriminator_step(run=run, batch=batch_of((1,)))
    assert d.logs["d_real_b"] > 0 and d.logs["d_fake_a"] > 0 and d.logs["d_real_a"] == d.logs["d_fake_b"] == 0


def test_a_batch_of_neither_domain_gives_zero_gradients(ganforge_registry):
    run, _ = make_run(TINY_MODELS, {"type": "nice_gan", "domain_a": 0, "domain_b": 2},
                      data=ganforge.DataInfo(fields=frozenset({"domain"}), num_domains=3, resolution=(64, 64)))
    result = run.hook.ganforge_generator_step(run=run, batch=batch_of((1, 1)))
    assert result.loss.item() == 0 and set(result.logs.values()) == {0.0}
    result.loss.backward()
    grads = [p.grad for r in ("generator_ab", "generator_ba") for p in run.models[r].parameters()]
    assert all(g is not None and not g.any() for g in grads)
    assert all(p.grad is None for p in run.models["discriminator_a"].parameters())


def test_sample_rows_translate_each_image_to_the_other_domain(ganforge_registry):
    run, _ = make_run(TINY_MODELS)
    run.models.eval()  # as the trainer samples
    batch = batch_of((0, 1, 0))
    rows = run.hook.ganforge_sample(run=run, batch=batch)
    assert list(rows) == ["input", "translated", "cycled back"]
    assert all(r.shape == (3, 3, 64, 64) for r in rows.values())
    m, x = run.models, batch["image"]
    with torch.no_grad():
        expected = m["generator_ba"](Condition(embedding=m["discriminator_b"].encode(x[1:2]).embedding))
    torch.testing.assert_close(rows["translated"][1:2], expected)
    torch.testing.assert_close(rows["input"], x)


def test_domains_are_checked(ganforge_registry):
    with pytest.raises(ganforge.ConfigError, match="strategy: .*domain_a and domain_b must differ"):
        make_run(TINY_MODELS, {"type": "nice_gan", "domain_b": 0})
    with pytest.raises(ganforge.ConfigError, match="domain 5 does not exist, the data has 2 domains"):
        make_run(TINY_MODELS, {"type": "nice_gan", "domain_b": 5})


def test_coupled_training_lets_the_generator_step_move_the_encoders_only(ganforge_registry):
    """The paper's ablation (``decoupled: false``): E_x, E_y follow both players; the
    discriminators' heads still move only in the discriminator step."""
    run, optims = make_run(TINY_MODELS, {"type": "nice_gan", "decoupled": False})
    m = run.models
    enc_ids = {id(p) for r in ("discriminator_a", "discriminator_b") for p in m[r].encoder.parameters()}
    for name in ("generator", "discriminator"):
        assert enc_ids <= {id(p) for g in optims[name].param_groups for p in g["params"]}, name
    before = {role: snapshot(net) for role, net in m.items()}
    step(run, optims, "generator", batch_of())
    for role in ("discriminator_a", "discriminator_b"):
        moved = changed(m[role], before[role])
        assert moved <= {f"encoder.{n}" for n, _ in m[role].encoder.named_parameters()}, role  # no head moved
        assert {"encoder.layers.0.1.parametrizations.weight.original", "encoder.cam.lamda",
                "encoder.cam.eta.parametrizations.weight.original"} <= moved, role  # (fuse waits for lamda != 0)
        assert all(p.requires_grad for p in m[role].parameters())


def test_discriminators_are_called_as_in_the_official_step(ganforge_registry):
    """NICE.py calls disA(real_A), disB(real_B), then disA(fake), disB(fake), in the D step
    and again in the G step (whole discriminators: each call in train mode advances every
    spectral norm's power iteration once, four per step)."""
    run, _ = make_run(TINY_MODELS)
    batch = batch_of((1, 0))
    reals = list(batch["image"])
    calls = []
    for role in ("discriminator_a", "discriminator_b"):
        run.models[role].register_forward_hook(lambda m, args, out, role=role: calls.append(
            (role[-1], "real" if any(torch.equal(args[0][0], x) for x in reals) else "fake")))
    official = [("a", "real"), ("b", "real"), ("a", "fake"), ("b", "fake")]
    run.hook.ganforge_discriminator_step(run=run, batch=batch)
    assert calls == official
    calls.clear()
    run.hook.ganforge_generator_step(run=run, batch=batch)
    assert calls == official

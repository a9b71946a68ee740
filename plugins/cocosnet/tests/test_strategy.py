"""The CoCosNet recipe with the exemplar pairing strategy, through the real trainer."""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge import Condition
from ganforge.testing import short_run, window_means

TINY_RUN = {
    "data": {"type": "synthetic", "resolution": 64, "fields": ["label"], "num_domains": 1},
    "models": {
        "correspondence": {"type": "cocosnet_correspondence", "ngf": 4, "match_channels": 8},
        "generator": {"type": "cocosnet", "ngf": 4, "norm": {"type": "cocosnet_spade", "nhidden": 8}},
        "discriminator": {"type": "cocosnet_patch", "ndf": 8, "n_layers": 3},
    },
    "strategy": {"type": "cocosnet", "contextual": {"type": "cocosnet_contextual", "weights": "none"}},
    "strategies": [{"type": "cocosnet_pairing"}],
    "optim": {"generator": {"lr": 0.0005, "betas": [0.0, 0.9], "eps": 0.001},
              "discriminator": {"lr": 0.0004, "betas": [0.0, 0.9]}},
    "train": {"batch_size": 2, "precision": "fp32"},
}


def test_recipe_trains_and_the_correspondence_learns(registry, tmp_path):
    torch.manual_seed(0)
    logs = short_run(TINY_RUN, tmp_path, steps=24)
    expected = {"d_fake", "d_real", "g_gan", "g_feat", "g_fm", "g_perc", "g_context", "g_domain", "g_mask"}
    assert expected <= set(logs[-1])
    assert all(torch.isfinite(torch.tensor(step["g_loss"])) for step in logs)
    # the correlation learns to warp the exemplar's labels onto the input's (about 6 -> 1.3 here;
    # noisy step to step, so over 24 steps: with the official spectral-norm order, 12 are too few)
    first, last = window_means(logs, "g_mask", 4)
    assert last < 0.5 * first


def test_without_exemplars_the_config_check_names_the_pairing(registry):
    config = {**TINY_RUN, "strategies": []}
    with pytest.raises(ganforge.GanforgeError, match="exemplar"):
        ganforge.config.verify(ganforge.config.from_dict(config))


def test_cycle_weight_needs_the_cycle_warp(registry, tmp_path):
    config = {**TINY_RUN, "strategy": {**TINY_RUN["strategy"], "lambda_cycle": 1.0}}
    with pytest.raises(ganforge.ConfigError, match="cycle: true"):
        short_run(config, tmp_path, steps=1)
    config["models"] = {**TINY_RUN["models"], "correspondence": {**TINY_RUN["models"]["correspondence"],
                                                                  "cycle": True}}
    assert "g_cycle" in short_run(config, tmp_path / "cycle", steps=1)[-1]


def test_d_trains_on_the_fake_of_the_g_step_without_a_second_translation(registry, tmp_path, monkeypatch):
    """The official order: G step first, its fake (not a new translation) feeds the D step."""
    from ganforge_cocosnet.strategy import CoCosNet

    made, judged = [], []
    translate, discriminate = CoCosNet.translate, CoCosNet.discriminate

    def counting_translate(*args, **kwargs):
        out = translate(*args, **kwargs)
        made.append(out[0].detach().clone())
        return out

    def recording_discriminate(run, fake, real, cond, real_graph=True):
        judged.append(fake.detach().clone())
        return discriminate(run, fake, real, cond, real_graph)

    monkeypatch.setattr(CoCosNet, "translate", staticmethod(counting_translate))
    monkeypatch.setattr(CoCosNet, "discriminate", staticmethod(recording_discriminate))
    logs = short_run(TINY_RUN, tmp_path, steps=2)
    assert len(made) == 2 and len(judged) == 4  # per step: one translation, D on it in G's and D's phase
    assert torch.equal(judged[1], made[0]) and torch.equal(judged[3], made[1])
    assert {"d_fake", "d_real", "g_gan"} <= set(logs[-1])


def test_g_steps_discriminator_pass_without_the_real_graph_equals_the_batched_pass(registry, tiny, data):
    """real_graph=False: the same outputs, the same gradient to the fake and one power
    iteration per spectral-normed layer, as D on [fake | real] in one batch."""
    import copy
    import types

    from ganforge_cocosnet.strategy import CoCosNet

    torch.manual_seed(0)
    D = ganforge.build("discriminator", tiny["discriminator"], data).double().train()
    twin = copy.deepcopy(D)
    label = torch.randint(0, data.label_nc, (2, 32, 32))
    real = torch.rand(2, 3, 32, 32, dtype=torch.float64)
    outs = []
    for net, real_graph in ((D, False), (twin, True)):
        fake = torch.rand(2, 3, 32, 32, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
        fake.requires_grad_()
        run = types.SimpleNamespace(models={"discriminator": net})
        pred_fake, pred_real = CoCosNet.discriminate(run, fake, real, Condition(label=label), real_graph)
        assert pred_real.scores[0].requires_grad == real_graph
        sum(s.sum() for s in pred_fake.scores).backward()
        outs.append([*pred_fake.scores, *pred_real.scores, *pred_real.features[0], fake.grad])
    for a, b in zip(*outs):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    for (name, a), (_, b) in zip(D.named_buffers(), twin.named_buffers()):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-14, msg=name)  # the power iterations' u and v

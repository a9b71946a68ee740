"""The sequential W+ / noise optimisation on a generator that has only the capability's members."""

import pytest
import torch

import ganforge
from ganforge_image2stylegan_pp.embed import Schedule, embed, initial_latents
from ganforge_image2stylegan_pp.objective import Objective, Target, masked_mse

from .helpers import generated_images, tiny


def test_paper_defaults():
    s = Schedule()
    assert (s.w_steps, s.noise_steps, s.rounds, s.lr, s.noise_lr) == (5000, 3000, 1, 0.01, 5.0)


def test_each_stage_uses_its_own_learning_rate():
    """One Adam step moves every entry by about its lr: W+ by ``lr``, the noise by ``noise_lr``."""
    G = tiny()
    target = generated_images(G, 1)
    emb = embed(G, Objective([Target(target, perceptual=0.0)]), Schedule(w_steps=1, noise_steps=1, lr=0.01, noise_lr=2.0))
    ws0, noise0 = initial_latents(G, 1)
    (_, ws_w, _), _ = emb.snapshots
    assert (ws_w - ws0).abs().max().item() == pytest.approx(0.01, rel=1e-3)
    assert max((n - n0).abs().max().item() for n, n0 in zip(emb.noise, noise0)) == pytest.approx(2.0, rel=1e-3)


def test_w_then_noise_lowers_the_error_each_stage_and_touches_only_its_variables():
    G = tiny()
    target = generated_images(G, 2)
    emb = embed(G, Objective([Target(target, perceptual=0.0)]), Schedule(w_steps=100, noise_steps=100))
    stages = [h["stage"] for h in emb.history]
    assert stages == ["w"] * 100 + ["noise"] * 100
    mse = [h["mse"] for h in emb.history]
    assert mse[99] < 0.8 * mse[0]
    assert mse[-1] < 0.5 * mse[100]  # the noise restores what W+ could not
    (_, ws_w, noise_w), (_, ws_n, noise_n) = emb.snapshots
    ws0, noise0 = initial_latents(G, 2)
    assert all(torch.equal(a, b) for a, b in zip(noise_w, noise0))  # W+ stage: noise fixed
    assert torch.equal(ws_w, ws_n) and not torch.equal(ws_w, ws0)   # noise stage: W+ fixed
    assert all(p.grad is None for p in G.parameters())              # the generator is left alone
    torch.testing.assert_close(emb.render(G), G.synthesis(emb.ws, emb.noise))
    assert masked_mse(emb.render(G), target, None).item() == pytest.approx(mse[-1], rel=0.2)


def test_rounds_alternate_the_stages():
    G = tiny()
    emb = embed(G, Objective([Target(generated_images(G, 1), perceptual=0.0)]),
                Schedule(w_steps=2, noise_steps=3, rounds=2))
    assert [h["stage"] for h in emb.history] == ["w"] * 2 + ["noise"] * 3 + ["w"] * 2 + ["noise"] * 3
    assert [s[0] for s in emb.snapshots] == ["w", "noise", "w", "noise"]


def test_the_mse_counts_only_inside_the_mask():
    x = torch.zeros(1, 3, 4, 4)
    y = x.clone()
    y[..., 2:, :] = 1
    top = torch.zeros(1, 1, 4, 4)
    top[..., :2, :] = 1
    assert masked_mse(x, y, top).item() == 0
    assert masked_mse(x, y, 1 - top).item() == pytest.approx(0.5)  # normalised by all pixels


def test_objective_checks_its_inputs():
    img = torch.zeros(1, 3, 4, 4)
    with pytest.raises(ValueError, match="perceptual weight but no perceptual loss"):
        Objective([Target(img)])
    with pytest.raises(ValueError, match="style weight but no style loss"):
        Objective([Target(img, perceptual=0.0, style=1.0)])
    with pytest.raises(ValueError, match="targets of different shapes"):
        Objective([Target(img, perceptual=0.0), Target(torch.zeros(2, 3, 4, 4), perceptual=0.0)])


def test_a_generator_without_the_capability_is_refused_by_name():
    class NoNoise(torch.nn.Module):
        w_dim, num_ws = 8, 3

        def mapping(self, z, truncation_psi=1.0):
            return z

        def synthesis(self, ws, noise=None, edit=None):
            return ws

    with pytest.raises(ganforge.ConfigError, match="image2stylegan_pp: NoNoise is not a StyleLatentGenerator; "
                                                   "it lacks activation_names, mean_w, noise_shapes"):
        embed(NoNoise(), Objective([Target(torch.zeros(1, 3, 4, 4), perceptual=0.0)]), Schedule(w_steps=1))


def test_the_noise_moves_only_where_a_pixel_term_sees_the_image():
    """Inpainting: the 16 px noise map keeps its initial values inside the 8x8 hole (its 8 px
    one inside the 4x4 cells the hole covers), and is fitted outside."""
    G = tiny()
    hole = torch.zeros(1, 1, 16, 16)
    hole[..., 4:12, 4:12] = 1
    objective = Objective([Target(generated_images(G, 1), 1 - hole, perceptual=0.0)])
    torch.testing.assert_close(objective.pixel_support(), 1 - hole)
    assert Objective([Target(hole, None, perceptual=0.0), Target(hole, hole, perceptual=0.0)]).pixel_support() is None
    emb = embed(G, objective, Schedule(w_steps=0, noise_steps=5, noise_lr=1.0))
    _, noise0 = initial_latents(G, 1)
    moved = [(n - n0).abs()[0, 0] > 0 for n, n0 in zip(emb.noise, noise0)]
    assert not moved[1][4:12, 4:12].any() and moved[1][:4].all()
    assert not moved[0][2:6, 2:6].any() and moved[0][:2].all()

"""`ganforge import stylegan2`, then `ganforge stylegan2 generate | style-mix`, end to end on
an 8 px checkpoint in rosinality's layout (the training script's dict: g, d, g_ema, args)."""

import argparse

import click
import numpy as np
import pytest
import torch
import yaml
from click.testing import CliRunner
from PIL import Image

import ganforge
from ganforge_stylegan2 import apps
from ganforge_stylegan2.cli import add_commands
from ganforge_stylegan2.generator import style_mix

from .helpers import fact, filled, rosinality_layout


def invoke(*args):
    group = click.Group("ganforge")
    add_commands(group)
    return CliRunner().invoke(group, ["stylegan2", *map(str, args)])


CONFIG = {"data": {"type": "class_folders", "root": "not-needed", "domains": ["faces"], "load_size": 8, "crop_size": 8},
          "models": {"generator": {"type": "stylegan2", "z_dim": 8, "w_dim": 8, "mapping_layers": 2},
                     "discriminator": {"type": "stylegan2"}},
          "strategy": {"type": "stylegan2"}, "train": {"r1": {"gamma": 10.0}}}


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    from ganforge.testing.official import run_import

    folder = tmp_path_factory.mktemp("official")
    layout = rosinality_layout(8, 8, 2)
    official = {"g": filled(layout["generator"], 1), "g_ema": filled(layout["generator"], 3),
                "d": filled(layout["discriminator"], 2), "args": argparse.Namespace(size=8, r1=10.0)}
    torch.save(official, folder / "050000.pt")
    (folder / "config.yaml").write_text(yaml.safe_dump(CONFIG))
    out = folder / "converted.pt"
    assert run_import("stylegan2", [folder / "050000.pt"], folder / "config.yaml", out) == 0
    return out


@pytest.fixture(scope="module")
def G(converted):
    return apps.load_generator(converted)


def test_convert_keeps_g_ema_for_sampling_and_a_tracked_mean(converted, G):
    assert (G.num_ws, G.w_dim, G.training) == (4, 8, False)
    w_avg = G.mean_w()
    torch.testing.assert_close(w_avg, G.mapping(torch.randn(4096, 8)).mean(0), atol=0.15, rtol=0)
    state = ganforge.trainer.load_checkpoint(converted)
    assert set(state["models"]) == {"generator", "discriminator"}
    assert not torch.equal(state["models"]["generator"]["synthesis_network.blocks.0.const"],
                           state["ema"]["generator"]["synthesis_network.blocks.0.const"])  # g vs g_ema


def test_generate_writes_one_image_per_seed_independent_of_the_others(converted, G, tmp_path):
    out = tmp_path / "grid.png"
    result = invoke("generate", converted, "--seeds", "0-2,7", "--truncation-psi", 0.7, "--out", out)
    assert result.exit_code == 0, result.output
    assert Image.open(out).size == (4 * 10 + 2, 10 + 2)
    assert "rows, top to bottom: seeds 0 1 2 7" in result.output
    batch = apps.generate(G, [0, 1, 2, 7], 0.7)
    assert batch.shape == (4, 3, 8, 8) and batch.abs().max() <= 1
    assert torch.equal(apps.generate(G, [0, 1, 2, 7], 0.7), batch)  # seeds (and noise seed) fix the images
    assert not torch.allclose(apps.generate(G, [0, 1, 2, 7], 1.0), batch)  # psi matters
    assert torch.equal(apps.seed_latents([0, 1, 2, 7], 8)[3:], apps.seed_latents([7], 8))


def test_style_mix_grid_cells_take_coarse_styles_from_rows(converted, G, tmp_path):
    grid = apps.style_mix_grid(G, [1, 2], [3, 4, 5], cutoff=2, truncation_psi=1.0, noise_seed=0)
    assert grid.shape == (3 * 4, 3, 8, 8)
    assert torch.equal(grid[0], torch.ones(3, 8, 8))  # blank corner
    torch.manual_seed(0)
    noise = [torch.randn(1, *s) for s in G.noise_shapes()]
    ws = {s: G.mapping(apps.seed_latents([s], 8))[:, None].expand(-1, 4, -1) for s in (1, 2, 3, 4, 5)}
    with torch.no_grad():
        cell = G.synthesis(style_mix(ws[2], ws[4], 2), noise).clamp(-1, 1)  # row seed 2, column seed 4
    torch.testing.assert_close(grid[2 * 4 + 2], cell[0])
    out = tmp_path / "mix.png"
    result = invoke("style-mix", converted, "--row-seeds", "1,2", "--col-seeds", "3-5", "--cutoff", 2, "--out", out)
    assert result.exit_code == 0, result.output
    assert np.asarray(Image.open(out)).shape == (3 * 10 + 2, 4 * 10 + 2, 3)
    assert "rows, top to bottom: column seeds 3 4 5, row seed 1 | mixed, row seed 2 | mixed" in result.output
    bad = invoke("style-mix", converted, "--row-seeds", "1", "--col-seeds", "2", "--cutoff", 4, "--out", out)
    assert bad.exit_code != 0 and "--cutoff 4: must lie in [1, 3] (4 style inputs)" in str(bad.exception or bad.output)



def test_official_files_that_do_not_fit_are_refused(tmp_path, capsys):
    from ganforge.testing.official import run_import

    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    out = tmp_path / "model.pt"
    torch.save({"generator": {}}, tmp_path / "other.pt")
    assert run_import("stylegan2", [tmp_path / "other.pt"], config, out) == 2
    assert f"{tmp_path / 'other.pt'}: no 'g_ema' entry" in capsys.readouterr().err
    torch.save({"g_ema": {}, "hook": print}, tmp_path / "code.pt")  # a pickle that names a callable
    assert run_import("stylegan2", [tmp_path / "code.pt"], config, out) == 2
    assert "code.pt: cannot be read as an official weights file (Unsupported global: GLOBAL print)" in \
        capsys.readouterr().err
    layout = rosinality_layout(8, 8, 2)
    damaged = filled(layout["generator"], 3)
    damaged["style.1.weight"] = damaged["style.1.weight"][1:]
    torch.save({"g_ema": damaged}, tmp_path / "damaged.pt")
    assert run_import("stylegan2", [tmp_path / "damaged.pt"], config, out) == 2
    err = capsys.readouterr().err
    assert "damaged.pt: checkpoint['g_ema']: style.1.weight has shape (7, 8), the network expects (8, 8)" in err
    assert not out.exists()


def test_fixed_noise_reproduces_rosinality_randomize_noise_false(converted, tmp_path):
    """A release's ``noises.noise_<i>`` imported with ``noise: fixed`` give rosinality's
    ``G([z], randomize_noise=False)`` (recorded from its model.py, see the fact's _source)."""
    from ganforge.testing.official import run_import

    layout = rosinality_layout(8, 8, 2)
    g_ema = filled(layout["generator"], 1)
    gen = torch.Generator().manual_seed(4)
    for key in sorted(k for k in g_ema if k.startswith("noises.")):
        g_ema[key] = torch.randn(layout["generator"][key], generator=gen)
    torch.save({"g_ema": g_ema}, tmp_path / "550000.pt")
    config = tmp_path / "config.yaml"
    fixed = {**CONFIG, "models": {**CONFIG["models"], "generator": {**CONFIG["models"]["generator"], "noise": "fixed"}}}
    config.write_text(yaml.safe_dump(fixed))
    assert run_import("stylegan2", [tmp_path / "550000.pt"], config, tmp_path / "model.pt") == 0

    G = apps.load_generator(tmp_path / "model.pt")
    official = torch.tensor(fact("rosinality_8px_fixed_noise.json")["image"])
    image = apps.generate(G, [0, 1], 1.0, noise_seed=5)  # default: the generator's fixed maps
    torch.testing.assert_close(image.flatten(), official.clamp(-1, 1), atol=2e-5, rtol=1e-4)
    with torch.no_grad():  # the ganforge forward (eval) uses them too
        unclamped = G.synthesis(G.mapping(apps.seed_latents([0, 1], 8))[:, None].expand(-1, G.num_ws, -1))
    torch.testing.assert_close(unclamped.flatten(), official, atol=2e-5, rtol=1e-4)
    assert not torch.allclose(apps.generate(G, [0, 1], 1.0, noise="random"), image)

    out = tmp_path / "fixed.png"
    assert invoke("generate", tmp_path / "model.pt", "--seeds", "0,1", "--noise", "fixed", "--out", out).exit_code == 0
    bad = invoke("generate", converted, "--seeds", "0", "--noise", "fixed", "--out", out)  # noise: random
    assert bad.exit_code != 0 and "holds no fixed noise maps" in str(bad.exception)


def test_a_damaged_checkpoint_is_one_error_naming_it(converted, tmp_path):
    """Through `ganforge.applications.open_app`: a checkpoint without the generator's
    weights, or one that cannot be read, is refused naming the file; an imported release
    without g_ema falls back to g."""
    from ganforge.trainer import checkpoint as ckpt

    state = ckpt.load(converted)
    del state["format"]
    ckpt.save(tmp_path / "no_g.pt", {**state, "models": {"discriminator": state["models"]["discriminator"]}, "ema": {}})
    with pytest.raises(ganforge.DataError, match=r"no_g.pt: holds no weights for models.generator \(a damaged "
                                                 r"checkpoint\? it has models.discriminator\)"):
        apps.load_generator(tmp_path / "no_g.pt")
    ckpt.save(tmp_path / "no_ema.pt", {**state, "ema": {}})
    G = apps.load_generator(tmp_path / "no_ema.pt")
    assert torch.equal(G.state_dict()["synthesis_network.blocks.0.const"],
                       state["models"]["generator"]["synthesis_network.blocks.0.const"])
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ganforge.DataError, match="bad.pt: cannot be read as a ganforge checkpoint"):
        apps.load_generator(tmp_path / "bad.pt")

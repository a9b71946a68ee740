"""``ganforge import stargan_v2``: the official ``nets_ema`` and ``nets`` checkpoints, written
from seeded weights, give the EMA copies and the trained networks of a ganforge
checkpoint; a damaged entry is refused naming the file, the entry, keys and shapes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import ganforge_stargan_v2.plugin
from ganforge.testing.official import assert_imported, run_import, seeded_networks
from ganforge_stargan_v2.convert import ROLES, to_official

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "synthetic.yaml"
ENTRY = {role: entry for entry, role in ROLES.items()}


@pytest.fixture(autouse=True)
def _isolated(isolated_registry):
    isolated_registry(("stargan_v2", ganforge_stargan_v2.plugin))


def official(nets, roles) -> dict:
    return {ENTRY[r]: to_official(ENTRY[r], nets[r].state_dict()) for r in roles}


def test_import_round_trips_nets_ema_and_nets(tmp_path):
    ema, trained = seeded_networks(CONFIG, seed=0), seeded_networks(CONFIG, seed=1)
    torch.save(official(ema, ["generator", "mapping", "style_encoder"]), tmp_path / "100000_nets_ema.ckpt")
    torch.save(official(trained, ["generator", "mapping", "style_encoder", "discriminator"]),
               tmp_path / "100000_nets.ckpt")
    files = [tmp_path / "100000_nets_ema.ckpt", tmp_path / "100000_nets.ckpt"]
    assert run_import("stargan_v2", files, CONFIG, tmp_path / "model.pt") == 0
    state = assert_imported(tmp_path / "model.pt", trained)
    for role in ("generator", "mapping", "style_encoder"):
        for k, v in ema[role].state_dict().items():
            assert torch.equal(state["ema"][role][k], v)
    # the EMA file alone: the trained networks start from the EMA weights
    assert run_import("stargan_v2", files[:1], CONFIG, tmp_path / "ema_only.pt") == 0
    assert_imported(tmp_path / "ema_only.pt", {r: ema[r] for r in ("generator", "mapping", "style_encoder")},
                    ema=("generator", "mapping", "style_encoder"))


def test_import_rejects_a_damaged_file(tmp_path, capsys):
    nets = seeded_networks(CONFIG)
    ckpt = official(nets, ["mapping"])
    del ckpt["mapping_network"]["unshared.0.0.weight"]
    ckpt["mapping_network"]["shared.0.weight"] = ckpt["mapping_network"]["shared.0.weight"][1:]
    torch.save(ckpt, tmp_path / "100000_nets_ema.ckpt")
    assert run_import("stargan_v2", [tmp_path / "100000_nets_ema.ckpt"], CONFIG, tmp_path / "model.pt") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / '100000_nets_ema.ckpt'}: entry 'mapping_network' does not fit")
    assert "heads.0.0.weight" in err and "shared.0.weight" in err
    torch.save({"weights": {}}, tmp_path / "foreign.ckpt")
    assert run_import("stargan_v2", [tmp_path / "foreign.ckpt"], CONFIG, tmp_path / "model.pt") == 2
    assert "not an official StarGAN v2 checkpoint" in capsys.readouterr().err


def test_latent_and_reference_guided_synthesis_on_an_imported_release_give_the_networks_outputs(tmp_path):
    """Import an official ``nets_ema`` file, then ``ganforge stargan-v2 latent`` and
    ``reference`` on image files, as a user runs them: every row is the official-layout
    networks' own output in eval mode, G(x, F_y(z)) and G(x, E_y(x_ref)), pixel for pixel."""
    from PIL import Image

    from ganforge import Condition
    from ganforge.testing.official import grid_rows, pixels, run_cli

    ema = seeded_networks(CONFIG, seed=0)
    G, F, E = (ema[r].eval() for r in ("generator", "mapping", "style_encoder"))
    torch.save(official(ema, ["generator", "mapping", "style_encoder"]), tmp_path / "100000_nets_ema.ckpt")
    assert run_import("stargan_v2", [tmp_path / "100000_nets_ema.ckpt"], CONFIG, tmp_path / "model.pt") == 0
    rgb = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    for i, arr in enumerate(rgb):
        Image.fromarray(arr).save(tmp_path / f"x{i}.png")
    images = torch.from_numpy(rgb.astype(np.float32) / 127.5 - 1).permute(0, 3, 1, 2).contiguous()
    source, reference = images[:2], images[2:]
    sources = ["--source", tmp_path / "x0.png", "--source", tmp_path / "x1.png"]

    assert run_cli("stargan-v2", "latent", tmp_path / "model.pt", *sources, "--domain", 2, "--styles", 2,
                   "--seed", 5, "--out", tmp_path / "latent.png") == 0
    torch.manual_seed(5)
    z = torch.randn(2, F.params.latent_dim)
    y = torch.full((2,), 2)
    with torch.no_grad():
        expected = [G(Condition(source=source, style=F(None, Condition(z=zk.expand(2, -1), domain=y))["style"]))
                    for zk in z]
    rows = grid_rows(tmp_path / "latent.png")
    assert list(rows) == ["source", "domain 2, z 1", "domain 2, z 2"]
    assert (rows["source"] == pixels(source)).all()
    assert (rows["domain 2, z 1"] == pixels(expected[0])).all() and (rows["domain 2, z 2"] == pixels(expected[1])).all()
    assert len(np.unique(rows["domain 2, z 1"])) > 20  # not saturated

    assert run_cli("stargan-v2", "reference", tmp_path / "model.pt", *sources, "--reference",
                   f"{tmp_path / 'x2.png'}:1", "--out", tmp_path / "reference.png") == 0
    with torch.no_grad():
        style = E(reference, Condition(domain=torch.tensor([1])))["style"]
        translated = G(Condition(source=source, style=style.expand(2, -1)))
    rows = grid_rows(tmp_path / "reference.png")
    assert list(rows) == ["source", "reference 0 (domain 1) | its style"]
    assert (rows["reference 0 (domain 1) | its style"] == pixels(torch.cat([reference, translated]))).all()

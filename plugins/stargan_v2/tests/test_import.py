"""``ganforge import stargan_v2``: the official ``nets_ema`` and ``nets`` checkpoints, written
from seeded weights, give the EMA copies and the trained networks of a ganforge
checkpoint; a damaged entry is refused naming the file, the entry, keys and shapes."""

from __future__ import annotations

from pathlib import Path

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

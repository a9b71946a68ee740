"""``ganforge import nice_gan``: a ``params_<step>.pt`` in the official layout (gen2B, gen2A,
disA, disB with the old spectral-norm hook's names, plus optimiser states), written from
seeded weights, full and light, round-trips into a ganforge checkpoint; a damaged entry is
refused naming the file, the entry, the key and the shapes.

The renaming was checked against the official classes (alpc91/NICE-GAN-pytorch
networks.py ``ResnetGenerator`` full and light, ``Discriminator`` n_layers 6 and 7):
identical key names and shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

import ganforge_nice_gan.plugin
from ganforge.testing.official import assert_imported, run_import, seeded_networks
from ganforge_nice_gan.convert import ROLES, to_official

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "synthetic.yaml"


@pytest.fixture(autouse=True)
def _isolated(isolated_registry):
    isolated_registry(("nice_gan", ganforge_nice_gan.plugin))


def release(nets) -> dict:
    params = {entry: to_official(nets[role]) for entry, role in ROLES.items()}
    params["G_optimizer"] = torch.optim.Adam(nets["generator_ab"].parameters()).state_dict()
    params["start_iter"] = 300000
    return params


@pytest.mark.parametrize("light", [True, False])
def test_import_round_trips_full_and_light(tmp_path, light):
    cfg = yaml.safe_load(CONFIG.read_text())
    for role in ("generator_ab", "generator_ba"):
        cfg["models"][role]["light"] = light
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(cfg))
    nets = seeded_networks(config)
    torch.save(release(nets), tmp_path / "cat2dog_params_0300000.pt")
    assert run_import("nice_gan", [tmp_path / "cat2dog_params_0300000.pt"], config, tmp_path / "model.pt") == 0
    assert_imported(tmp_path / "model.pt", {role: nets[role] for role in ROLES.values()})


def test_import_rejects_a_damaged_file(tmp_path, capsys):
    params = release(seeded_networks(CONFIG))
    del params["disB"]["fc.weight_orig"]
    params["disB"]["model.1.bias"] = params["disB"]["model.1.bias"][1:]
    path = tmp_path / "params_latest.pt"
    torch.save(params, path)
    assert run_import("nice_gan", [path], CONFIG, tmp_path / "model.pt") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path} ['disB'] does not fit") and "missing: fc.weight_orig" in err
    assert "model.1.bias: (7,) in the file, (8,) here" in err
    torch.save({"genA2B": {}}, path)  # U-GAT-IT's names: another paper's file
    assert run_import("nice_gan", [path], CONFIG, tmp_path / "model.pt") == 2
    assert "not a NICE-GAN checkpoint" in capsys.readouterr().err

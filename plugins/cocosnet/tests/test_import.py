"""``ganforge import cocosnet``: official-layout files written from seeded weights round-trip
into a ganforge checkpoint; a damaged file is refused naming the file, the key and the shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ganforge.testing.official import assert_imported, damage, run_import, seeded_networks
from ganforge_cocosnet import convert

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "synthetic.yaml"
FILES = {"correspondence": "latest_net_Corr.pth", "generator": "latest_net_G.pth", "discriminator": "latest_net_D.pth"}  # role -> the official file name


@pytest.fixture(autouse=True)
def _isolated(registry):
    """The core and the plugins this one needs only."""


def test_import_round_trips_the_official_layout(tmp_path):
    nets = seeded_networks(CONFIG)
    for role, name in FILES.items():
        torch.save(convert.to_official(nets[role]), tmp_path / name)
    assert run_import("cocosnet", [tmp_path / n for n in reversed(FILES.values())], CONFIG, tmp_path / "model.pt") == 0
    assert_imported(tmp_path / "model.pt", {role: nets[role] for role in FILES})


def test_import_rejects_a_damaged_file(tmp_path, capsys):
    nets = seeded_networks(CONFIG)
    path, dropped, reshaped = damage(convert.to_official(nets["generator"]), tmp_path / FILES["generator"])
    assert run_import("cocosnet", [path], CONFIG, tmp_path / "model.pt") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path} does not fit") and dropped in err and f"{reshaped}: " in err
    assert not (tmp_path / "model.pt").exists()

"""``ganforge import sean``: the official generator file (with its Zencoder and the tensors
that have no counterpart here) and discriminator file, written from seeded weights, round
trip into a ganforge checkpoint; a damaged file is refused naming the file, key and shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ganforge.testing.official import assert_imported, damage, run_import, seeded_networks
from ganforge_sean import convert
from ganforge_spade import convert as spade_convert

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "synthetic.yaml"


@pytest.fixture(autouse=True)
def _isolated(registry):
    """The core, SPADE and SEAN only."""


def official_generator(nets) -> dict[str, torch.Tensor]:
    state = convert.to_official(nets["generator"], nets["encoder"])
    state["head_0.ace_0.Spade.param_free_norm.running_mean"] = torch.zeros(4)  # unused official buffers
    state["up_3.ace_0.blending_gamma"] = torch.zeros(1)
    return {f"module.{k}": v for k, v in state.items()}  # saved from DataParallel


def test_import_round_trips_the_official_layout(tmp_path):
    nets = seeded_networks(CONFIG)
    torch.save(official_generator(nets), tmp_path / "latest_net_G.pth")
    torch.save(spade_convert.to_official(nets["discriminator"]), tmp_path / "latest_net_D.pth")
    files = [tmp_path / "latest_net_G.pth", tmp_path / "latest_net_D.pth"]
    assert run_import("sean", files, CONFIG, tmp_path / "model.pt") == 0
    assert_imported(tmp_path / "model.pt", nets)


def test_import_rejects_a_damaged_file(tmp_path, capsys):
    nets = seeded_networks(CONFIG)
    state = {k.removeprefix("module."): v for k, v in official_generator(nets).items()}
    path, dropped, reshaped = damage(state, tmp_path / "latest_net_G.pth", reshape="conv_img.weight")
    assert run_import("sean", [path], CONFIG, tmp_path / "model.pt") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path} does not fit") and dropped in err and f"{reshaped}: " in err

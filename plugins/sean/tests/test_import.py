"""``ganforge import sean``: the official generator file (with its Zencoder and the tensors
that have no counterpart here) and discriminator file, written from seeded weights, round
trip into a ganforge checkpoint; a damaged file is refused naming the file, key and shapes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ganforge import Condition
from ganforge.testing.official import (assert_imported, calibrate, damage, grid_rows, pixels, run_cli, run_import,
                                       seeded_networks, write_scene)
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


def test_style_transfer_on_an_imported_release_gives_the_networks_outputs(tmp_path):
    """Two commands, as a user runs them: ``ganforge import sean`` of the official files, then
    ``ganforge sean transfer`` on image and label-map files; the grid's rows are the
    official-layout networks' own outputs (eval mode, same inputs and noise seed), pixel for pixel."""
    nets = seeded_networks(CONFIG)
    G, E = nets["generator"], nets["encoder"].eval()
    classes = E.num_classes
    scene, image, label = write_scene(tmp_path, "face", (64, 64), classes, seed=1)
    ref_scene, ref, ref_label = write_scene(tmp_path, "reference", (64, 64), classes, seed=2)
    calibrate(G, Condition(label=label, region_style=E(image, Condition(label=label))["region_style"]))
    torch.save(official_generator(nets), tmp_path / "latest_net_G.pth")
    torch.save(spade_convert.to_official(nets["discriminator"]), tmp_path / "latest_net_D.pth")
    assert run_import("sean", [tmp_path / "latest_net_G.pth", tmp_path / "latest_net_D.pth"], CONFIG,
                      tmp_path / "model.pt") == 0
    k = int(ref_label[0, 0, 0])
    out = tmp_path / "transfer.png"
    assert run_cli("sean", "transfer", tmp_path / "model.pt", "--image", scene, "--reference", ref_scene,
                   "--class", k, "--out", out) == 0

    with torch.no_grad():
        codes = E(image, Condition(label=label))["region_style"]
        moved = codes.clone()
        moved[:, k] = E(ref, Condition(label=ref_label))["region_style"][:, k]
        torch.manual_seed(0)  # --seed 0: SEAN's per-layer noise
        own = G(Condition(label=label, region_style=codes))
        torch.manual_seed(0)
        transferred = G(Condition(label=label, region_style=moved))
    rows = grid_rows(out)
    assert list(rows) == ["label map", "image", "reference label map", "reference", "reconstruction", "transferred"]
    assert (rows["image"] == pixels(image)).all() and (rows["reference"] == pixels(ref)).all()
    assert (rows["reconstruction"] == pixels(own)).all()
    assert (rows["transferred"] == pixels(transferred)).all()
    assert len(np.unique(pixels(own))) > 20  # not saturated: the rows compare values, not signs
    assert not (rows["transferred"] == rows["reconstruction"]).all()  # class k changed


def test_import_rejects_a_damaged_file(tmp_path, capsys):
    nets = seeded_networks(CONFIG)
    state = {k.removeprefix("module."): v for k, v in official_generator(nets).items()}
    path, dropped, reshaped = damage(state, tmp_path / "latest_net_G.pth", reshape="conv_img.weight")
    assert run_import("sean", [path], CONFIG, tmp_path / "model.pt") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path} does not fit") and dropped in err and f"{reshaped}: " in err

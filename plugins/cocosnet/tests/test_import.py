"""``ganforge import cocosnet``: official-layout files written from seeded weights round-trip
into a ganforge checkpoint; a damaged file is refused naming the file, the key and the shapes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ganforge import Condition
from ganforge.testing.official import (calibrate, check_damaged_file, check_round_trip, grid_rows, pixels, run_cli,
                                       run_import, seeded_networks, write_scene)
from ganforge_cocosnet import convert

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "synthetic.yaml"
FILES = {"correspondence": "latest_net_Corr.pth", "generator": "latest_net_G.pth",
         "discriminator": "latest_net_D.pth"}  # role -> the official file name


@pytest.fixture(autouse=True)
def _isolated(registry):
    """The core and the plugins this one needs only."""


def test_import_round_trips_the_official_layout(tmp_path):
    check_round_trip("cocosnet", CONFIG, FILES, convert.to_official, tmp_path)


def test_exemplar_translation_on_an_imported_release_gives_the_networks_outputs(tmp_path):
    """Import, then ``ganforge cocosnet translate`` on image and label-map files, as a user
    runs them: the warped exemplar and the result in the grid are the official-layout
    networks' own outputs (eval mode, same inputs), pixel for pixel."""
    nets = seeded_networks(CONFIG)
    classes = nets["generator"].data.label_nc
    scene, image, label = write_scene(tmp_path, "scene", (64, 64), classes, seed=4)
    ex_scene, exemplar, ex_label = write_scene(tmp_path, "exemplar", (64, 64), classes, seed=5)
    cond = Condition(label=label, exemplar=exemplar, exemplar_label=ex_label)
    corr = calibrate(nets["correspondence"], None, cond)
    with torch.no_grad():
        warped = corr(None, cond)["warped_exemplar"]
    G = calibrate(nets["generator"], cond.replace(warped_exemplar=warped))
    for role, name in FILES.items():
        torch.save(convert.to_official(nets[role]), tmp_path / name)
    assert run_import("cocosnet", [tmp_path / n for n in FILES.values()], CONFIG, tmp_path / "model.pt") == 0
    out = tmp_path / "translate.png"
    assert run_cli("cocosnet", "translate", tmp_path / "model.pt", "--image", scene, "--exemplar", ex_scene,
                   "--out", out) == 0

    with torch.no_grad():
        fake = G(cond.replace(warped_exemplar=warped))
    rows = grid_rows(out)
    assert list(rows) == ["label map", "exemplar", "warped exemplar", "generated", "image"]
    assert (rows["exemplar"] == pixels(exemplar)).all() and (rows["image"] == pixels(image)).all()
    assert (rows["warped exemplar"] == pixels(warped)).all()
    assert (rows["generated"] == pixels(fake)).all() and len(np.unique(rows["generated"])) > 20  # not saturated


def test_import_rejects_a_damaged_file(tmp_path, capsys):
    check_damaged_file("cocosnet", CONFIG, "generator", FILES["generator"], convert.to_official, tmp_path, capsys)

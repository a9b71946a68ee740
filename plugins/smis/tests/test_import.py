"""``ganforge import smis``: official-layout files written from seeded weights round-trip
into a ganforge checkpoint; a damaged file is refused naming the file, the key and the shapes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ganforge import Condition
from ganforge.testing.official import (calibrate, check_damaged_file, check_round_trip, grid_rows, pixels, run_cli,
                                       run_import, seeded_networks, write_scene)
from ganforge_smis import convert

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "synthetic.yaml"
FILES = {"generator": "latest_net_G.pth", "encoder": "latest_net_E.pth", "discriminator": "latest_net_D.pth"}  # role -> the official file name


@pytest.fixture(autouse=True)
def _isolated(registry):
    """The core and the plugins this one needs only."""


def test_import_round_trips_the_official_layout(tmp_path):
    check_round_trip("smis", CONFIG, FILES, convert.to_official, tmp_path)


def test_applications_on_an_imported_release_give_the_networks_outputs(tmp_path):
    """Import, then the paper's two applications as a user runs them: label map -> image
    (``ganforge sample --labels``, codes from the prior) and per-class resampling (``ganforge
    smis resample`` on image and label-map files); each grid row is the official-layout
    networks' own output (eval mode, same inputs and seeds), pixel for pixel."""
    nets = seeded_networks(CONFIG)
    G = nets["generator"]
    scene, image, label = write_scene(tmp_path, "person", (64, 64), G.num_classes, seed=3)
    E = calibrate(nets["encoder"], image, Condition(label=label))
    with torch.no_grad():
        codes = E(image, Condition(label=label))["mu"]
    calibrate(G, Condition(label=label, region_style=codes))
    for role, name in FILES.items():
        torch.save(convert.to_official(nets[role]), tmp_path / name)
    assert run_import("smis", [tmp_path / n for n in FILES.values()], CONFIG, tmp_path / "model.pt") == 0

    label_file = scene.split(":")[1]
    assert run_cli("sample", tmp_path / "model.pt", "--labels", label_file, "--seed", 5, "--out", tmp_path / "a.png") == 0
    k, n = int(label[0, 0, 0]), 3
    assert run_cli("smis", "resample", tmp_path / "model.pt", "--image", scene, "--class", k, "--n", n,
                   "--out", tmp_path / "b.png") == 0

    with torch.no_grad():
        torch.manual_seed(5)
        from_prior = G(Condition(label=label))
        own = G(Condition(label=label, region_style=codes))
        gen, draws = torch.Generator().manual_seed(0), []  # --seed 0
        for _ in range(n):
            z = codes.clone()
            z[:, k] = torch.randn(1, z.shape[2], generator=gen)
            draws.append(G(Condition(label=label, region_style=z)))
    sampled, resampled = grid_rows(tmp_path / "a.png"), grid_rows(tmp_path / "b.png")
    assert list(sampled) == ["label map", "generated"] and (sampled["generated"] == pixels(from_prior)).all()
    assert list(resampled) == ["label map", "image", "reconstruction", f"class {k} resampled"]
    assert (resampled["reconstruction"][:1] == pixels(own)).all()
    assert (resampled[f"class {k} resampled"] == pixels(torch.cat(draws))).all()
    assert len(np.unique(pixels(own))) > 20 and not (resampled[f"class {k} resampled"][0] == pixels(own)[0]).all()


def test_import_rejects_a_damaged_file(tmp_path, capsys):
    check_damaged_file("smis", CONFIG, "generator", FILES["generator"], convert.to_official, tmp_path, capsys)

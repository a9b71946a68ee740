"""``ganforge import spade``: official-layout files written from seeded weights become a
ganforge checkpoint that ``sample`` and ``train --init`` open; a damaged file is refused
with the file, the key and the shapes named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge import Condition
from ganforge.testing.official import (assert_imported, calibrate, damage, grid_rows, pixels, run_cli, run_import,
                                       seeded_networks, write_scene)
from ganforge_spade import convert

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "synthetic.yaml"


@pytest.fixture(autouse=True)
def _spade_only(spade):
    """The core and this plugin only: fast, and the plugin stands alone."""


def test_import_round_trips_the_official_layout(tmp_path):
    nets = seeded_networks(CONFIG)
    torch.save(convert.to_official(nets["generator"]), tmp_path / "latest_net_G.pth")
    torch.save(convert.to_official(nets["discriminator"]), tmp_path / "latest_net_D.pth")
    files = [tmp_path / "latest_net_D.pth", tmp_path / "latest_net_G.pth"]  # any order
    assert run_import("spade", files, CONFIG, tmp_path / "model.pt") == 0
    assert_imported(tmp_path / "model.pt", nets)


def test_import_rejects_a_damaged_file(tmp_path, capsys):
    nets = seeded_networks(CONFIG)
    path, dropped, reshaped = damage(convert.to_official(nets["generator"]), tmp_path / "latest_net_G.pth")
    assert run_import("spade", [path], CONFIG, tmp_path / "model.pt") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path} does not fit") and f"missing: {dropped}" in err
    assert f"{reshaped}: " in err and "in the file" in err
    assert not (tmp_path / "model.pt").exists()


def test_label_map_to_image_on_an_imported_release_gives_the_generators_output(tmp_path):
    """Import, then ``ganforge sample --labels --instances`` as a user runs it: the generated
    row is the official-layout generator's own output (eval mode, same maps), pixel for pixel."""
    nets = seeded_networks(CONFIG)
    scene, _, label = write_scene(tmp_path, "street", (64, 64), 9, seed=6)
    instance = label * 3 + (torch.arange(64) >= 32).long()  # instance boundaries inside classes too
    Image.fromarray(instance[0].numpy().astype("uint16")).save(tmp_path / "instances.png")
    cond = Condition(label=label, instance=instance)
    G = calibrate(nets["generator"], cond)
    torch.save(convert.to_official(G), tmp_path / "latest_net_G.pth")
    assert run_import("spade", [tmp_path / "latest_net_G.pth"], CONFIG, tmp_path / "model.pt") == 0
    assert run_cli("sample", tmp_path / "model.pt", "--labels", scene.split(":")[1], "--instances",
                   tmp_path / "instances.png", "--out", tmp_path / "street_out.png") == 0
    with torch.no_grad():
        fake = G(cond)
    rows = grid_rows(tmp_path / "street_out.png")
    assert list(rows) == ["label map", "generated"] and (rows["generated"] == pixels(fake)).all()
    assert len(np.unique(rows["generated"])) > 20  # not saturated


def test_imported_checkpoint_samples_and_fine_tunes(tmp_path):
    from ganforge.cli_train import sample_command, train_command
    from ganforge.trainer import checkpoint as ckpt

    nets = seeded_networks(CONFIG)
    torch.save(convert.to_official(nets["generator"]), tmp_path / "latest_net_G.pth")
    assert run_import("spade", [tmp_path / "latest_net_G.pth"], CONFIG, tmp_path / "model.pt") == 0
    assert sample_command(str(tmp_path / "model.pt"), 2, str(tmp_path / "grid.png")).is_file()
    run = train_command(str(CONFIG), ["train.steps=1", "train.batch_size=1", "train.sample_every=0"],
                        str(tmp_path / "run"), resume=False, show_progress=False, init=str(tmp_path / "model.pt"))
    after = ckpt.load(ckpt.latest_checkpoint(run))["models"]["generator"]
    before = nets["generator"].state_dict()
    key = "conv_img.bias"
    assert after[key].shape == before[key].shape and not torch.equal(after[key], before[key])  # one Adam step
    assert (after[key] - before[key]).abs().max() < 1e-3  # ... from the imported weights, not a fresh init

"""``ganforge import nice_gan``: a ``params_<step>.pt`` in the official layout (gen2B, gen2A,
disA, disB with the old spectral-norm hook's names, plus optimiser states), written from
seeded weights, full and light, round-trips into a ganforge checkpoint; a damaged entry is
refused naming the file, the entry, the key and the shapes.

The renaming was checked against the official classes (alpc91/NICE-GAN-pytorch
networks.py ``ResnetGenerator`` full and light, ``Discriminator`` n_layers 6 and 7):
identical key names and shapes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

import ganforge_nice_gan.plugin
from ganforge import Condition
from ganforge.testing.official import assert_imported, grid_rows, pixels, run_cli, run_import, seeded_networks
from ganforge_nice_gan.apps import DIRECTIONS
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


def test_translation_both_ways_on_an_imported_release_gives_the_networks_outputs(tmp_path):
    """Import, then ``ganforge nice-gan translate`` X -> Y and Y -> X on image files, as a user
    runs them: translation, cycle and heatmap rows are the official-layout networks' own
    outputs (eval mode: G_{x->y}(E_x(x)) as the official test computes it), pixel for pixel."""
    nets = seeded_networks(CONFIG)
    torch.save(release(nets), tmp_path / "params_0300000.pt")
    assert run_import("nice_gan", [tmp_path / "params_0300000.pt"], CONFIG, tmp_path / "model.pt") == 0
    rgb = np.random.default_rng(0).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    files = []
    for i, arr in enumerate(rgb):
        files += ["--source", tmp_path / f"x{i}.png"]
        Image.fromarray(arr).save(tmp_path / f"x{i}.png")
    images = torch.from_numpy(rgb.astype(np.float32) / 127.5 - 1).permute(0, 3, 1, 2).contiguous()
    for direction, (d_src, g_fwd, d_tgt, g_back) in DIRECTIONS.items():
        out = tmp_path / f"{direction}.png"
        assert run_cli("nice-gan", "translate", tmp_path / "model.pt", "--direction", direction, *files,
                       "--out", out) == 0
        with torch.no_grad():
            encoded = nets[d_src].eval().encode(images)
            translated = nets[g_fwd].eval()(Condition(embedding=encoded.embedding))
            cycled = nets[g_back].eval()(Condition(embedding=nets[d_tgt].eval().encode(translated).embedding))
        heat = torch.nn.functional.interpolate(encoded.heatmap, size=(64, 64), mode="bilinear", align_corners=False)
        lo, hi = heat.amin((2, 3), keepdim=True), heat.amax((2, 3), keepdim=True)
        heat = ((heat - lo) / (hi - lo) * 2 - 1).expand(-1, 3, -1, -1)
        rows = grid_rows(out)
        assert list(rows) == ["source", "translated", "cycled", "heatmap"]
        assert (rows["source"] == pixels(images)).all() and (rows["translated"] == pixels(translated)).all()
        assert (rows["cycled"] == pixels(cycled)).all() and (rows["heatmap"] == pixels(heat)).all()
        assert len(np.unique(rows["translated"])) > 20  # not saturated


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

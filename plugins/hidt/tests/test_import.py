"""``ganforge import hidt``: the released generator file (``module.``-prefixed, with AdaIN's
dummy buffers) written from seeded weights becomes a ganforge checkpoint holding what
``convert.load_official`` puts into the networks, and the released enhancer becomes the
run's ``models.enhancer``, which ``ganforge hidt enhance`` uses; a damaged file is refused
naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import ganforge_hidt.plugin
import ganforge_spade.plugin
from ganforge.testing.official import run_import, seeded_networks
from ganforge.trainer import checkpoint as ckpt
from ganforge_hidt import convert

from ganforge.testing.official import damage

from .helpers import FACTS, official_state

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "daytime.yaml"
SYNTHETIC = CONFIG.with_name("synthetic.yaml")
TINY_ENHANCER = ("--set", "models.enhancer={type: hidt_enhancer, nf: 8, nb: 1, gc: 4}")


@pytest.fixture(autouse=True)
def _isolated(isolated_registry):
    isolated_registry(("spade", ganforge_spade.plugin), ("hidt", ganforge_hidt.plugin))  # SPADE's losses


def test_import_round_trips_the_release(tmp_path):
    release = {f"module.{k}": v for k, v in official_state(FACTS["daytime_keys"]).items()}
    torch.save(release, tmp_path / "daytime.pt")
    assert run_import("hidt", [tmp_path / "daytime.pt"], CONFIG, tmp_path / "model.pt") == 0
    nets = seeded_networks(CONFIG)
    convert.load_official(tmp_path / "daytime.pt", nets["generator"], nets["style_encoder"])
    state = ckpt.load(tmp_path / "model.pt")
    assert state["imported"]["roles"] == ["generator", "style_encoder"]
    for role in ("generator", "style_encoder"):
        for k, v in nets[role].state_dict().items():
            assert torch.equal(state["models"][role][k], v), (role, k)


def test_import_rejects_a_damaged_file(tmp_path, capsys):
    release = official_state(FACTS["daytime_keys"])
    del release["decoder.model_postprocess.0.conv.weight"]
    last = max(int(k.split(".")[3]) for k in release if k.startswith("decoder.adain_net.model."))
    del release[f"decoder.adain_net.model.{last}.fc.bias"]
    torch.save(release, tmp_path / "daytime.pt")
    assert run_import("hidt", [tmp_path / "daytime.pt"], CONFIG, tmp_path / "model.pt") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'daytime.pt'}: official HiDT generator: no decoder.adain_net")
    release = official_state(FACTS["daytime_keys"])
    del release["decoder.model_postprocess.0.conv.weight"]
    torch.save(release, tmp_path / "daytime.pt")
    assert run_import("hidt", [tmp_path / "daytime.pt"], CONFIG, tmp_path / "model.pt") == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'daytime.pt'} does not fit models.generator" in err and "missing: out.conv.weight" in err


def test_the_released_enhancer_becomes_the_runs_enhancer(tmp_path):
    """enhancer.pth (official RRDBNet names, recorded key set) imported beside the generator
    into ``models.enhancer``: its weights give the recorded official outputs."""
    torch.save({f"module.{k}": v for k, v in official_state(FACTS["daytime_keys"]).items()}, tmp_path / "daytime.pt")
    release = official_state(FACTS["enhancer_keys"])
    torch.save(release, tmp_path / "enhancer.pth")
    out = tmp_path / "model.pt"
    files = [tmp_path / "enhancer.pth", tmp_path / "daytime.pt"]
    assert run_import("hidt", files, CONFIG, out, "--set", "models.enhancer.type=hidt_enhancer") == 0
    state = ckpt.load(out)
    assert state["imported"]["roles"] == ["enhancer", "generator", "style_encoder"]
    expected = convert.convert_enhancer(release)
    assert all(torch.equal(state["models"]["enhancer"][k], v) for k, v in expected.items())
    assert set(state["models"]["enhancer"]) == set(expected)


def test_a_damaged_or_unplaced_enhancer_is_refused(tmp_path, capsys):
    nets = seeded_networks(SYNTHETIC, overrides=TINY_ENHANCER[1:])
    path, dropped, reshaped = damage(convert.enhancer_to_official(nets["enhancer"].state_dict()),
                                     tmp_path / "enhancer.pth", drop="conv_first.weight", reshape="upconv2.bias")
    assert run_import("hidt", [path], SYNTHETIC, tmp_path / "model.pt", *TINY_ENHANCER) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path} does not fit models.enhancer") and "missing: conv_first.weight" in err
    assert "upconv2.bias: (31,) in the file, (32,) in models.enhancer" in err
    assert run_import("hidt", [path], SYNTHETIC, tmp_path / "model.pt") == 2  # no enhancer in the config
    assert "HiDT's enhancer (RRDBNet), but the config builds no 'hidt_enhancer'" in capsys.readouterr().err
    assert not (tmp_path / "model.pt").exists()


def test_enhance_uses_the_imported_enhancer(tmp_path):
    """``ganforge hidt enhance`` without --enhancer runs the checkpoint's G_enh (rebuilt for
    4x the network's size, with the imported weights)."""
    from PIL import Image

    from ganforge.cli import main
    from ganforge_hidt import apps

    nets = seeded_networks(SYNTHETIC, overrides=TINY_ENHANCER[1:])
    torch.save(convert.enhancer_to_official(nets["enhancer"].state_dict()), tmp_path / "enhancer.pth")
    out = tmp_path / "model.pt"
    assert run_import("hidt", [tmp_path / "enhancer.pth"], SYNTHETIC, out, *TINY_ENHANCER) == 0
    loaded = apps.load_networks(out)
    assert loaded.enhancer.data.resolution == (128, 128)  # 4 x 32
    assert all(torch.equal(loaded.enhancer.state_dict()[k], v) for k, v in nets["enhancer"].state_dict().items())
    for name in ("a", "b"):
        Image.new("RGB", (40, 40), (200, 90, 30) if name == "a" else (20, 40, 160)).save(tmp_path / f"{name}.png")
    main(["hidt", "enhance", str(out), "--image", str(tmp_path / "a.png"), "--style", str(tmp_path / "b.png"),
          "--out", str(tmp_path / "enhance.png")])
    assert Image.open(tmp_path / "enhance.png").size == (128 + 2 * 2, 3 * 128 + 4 * 2)  # rows: input, 2 outputs


def test_style_swap_on_an_imported_release_gives_the_networks_outputs(tmp_path):
    """Import the released generator file, then ``ganforge hidt swap`` on image files, as a
    user runs it: row i, column j is G(E_c(x_i), E_s(x_j)) of the official-layout networks
    in eval mode, on the inputs as the official StyleTransformer prepares them, pixel for pixel."""
    import numpy as np
    from PIL import Image

    from ganforge import Condition
    from ganforge.testing.official import grid_rows, pixels, run_cli
    from ganforge_hidt.apps import official_input

    release = official_state(FACTS["daytime_keys"])
    torch.save(release, tmp_path / "daytime.pt")
    assert run_import("hidt", [tmp_path / "daytime.pt"], CONFIG, tmp_path / "model.pt") == 0
    nets = seeded_networks(CONFIG)
    convert.load_official(tmp_path / "daytime.pt", nets["generator"], nets["style_encoder"])
    G, E_s = nets["generator"].eval(), nets["style_encoder"].eval()
    paths = []
    for i, arr in enumerate(np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)):
        paths.append(tmp_path / f"x{i}.png")
        Image.fromarray(arr).save(paths[-1])
    out = tmp_path / "swap.png"
    assert run_cli("hidt", "swap", tmp_path / "model.pt", "--image", paths[0], "--image", paths[1],
                   "--inference-size", 32, "--seed", 3, "--out", out) == 0
    gen = torch.Generator().manual_seed(3)
    xs = [official_input(p, 32, gen) for p in paths]  # its resize rule is tested in test_apps
    with torch.no_grad():
        styles = torch.cat([E_s(x, Condition())["style"] for x in xs])
        swapped = [G.decode(G.encode_content(x.expand(2, -1, -1, -1)), Condition(style=styles))[0] for x in xs]
    rows = grid_rows(out)
    assert list(rows) == ["styles", "image 0 | in each style", "image 1 | in each style"]
    for i, x in enumerate(xs):
        assert (rows[f"image {i} | in each style"] == pixels(torch.cat([x, swapped[i]]))).all()
    assert len(np.unique(rows["image 0 | in each style"][1:])) > 20  # not saturated

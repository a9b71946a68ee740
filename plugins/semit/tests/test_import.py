"""``ganforge import semit``: the files SEMIT's official trainer saves (``gen_<iter>.pt``
with ``gen`` and ``gen_test``, ``dis_<iter>.pt`` with ``dis``), written from seeded
weights, become a ganforge checkpoint whose networks give the same outputs; a damaged or
foreign file is one ``error:`` line; the applications run on the imported checkpoint.

The official layout in ``data/official_layout.json`` is the key names and shapes of the
official ``FewShotGen`` and ``GPPatchMcResDis`` (yaxingwang/SEMIT ``networks.py``),
written by ``benchmarks/semit_official.py --official CHECKOUT --write-layout``, which also
shows the official networks' outputs equal ours both ways (within 1.4e-6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image

import ganforge
import ganforge_semit.plugin
from ganforge.data.io import load_images
from ganforge.testing.official import assert_imported, damage, run_import, seeded_networks
from ganforge.trainer import restore
from ganforge_semit import apps, convert

HERE = Path(__file__).resolve().parent
CONFIG = HERE.parent / "configs" / "synthetic.yaml"
OFFICIAL = json.loads((HERE / "data" / "official_layout.json").read_text())


@pytest.fixture(autouse=True)
def _isolated(isolated_registry):
    isolated_registry(("semit", ganforge_semit.plugin))


@pytest.mark.parametrize("role", ["generator", "discriminator"])
def test_export_has_the_official_keys_and_shapes(role):
    data = ganforge.DataInfo(fields=frozenset({"source", "exemplar", "class_label"}), resolution=(32, 32),
                             num_classes=OFFICIAL["num_classes"])
    net = ganforge.build(role, OFFICIAL[role], data)
    assert {k: list(v.shape) for k, v in convert.to_official(net).items()} == OFFICIAL["keys"][role]


def write_release(folder: Path) -> tuple[dict, torch.nn.Module]:
    nets = seeded_networks(CONFIG, seed=0)
    ema = seeded_networks(CONFIG, seed=1)["generator"]
    torch.save({"gen": convert.to_official(nets["generator"]), "gen_test": convert.to_official(ema)},
               folder / "gen_00100000.pt")
    torch.save({"dis": convert.to_official(nets["discriminator"])}, folder / "dis_00100000.pt")
    return nets, ema


def test_import_round_trips_and_gives_the_same_outputs(tmp_path):
    nets, ema = write_release(tmp_path)
    files = [tmp_path / "dis_00100000.pt", tmp_path / "gen_00100000.pt"]
    assert run_import("semit", files, CONFIG, tmp_path / "model.pt") == 0
    state = assert_imported(tmp_path / "model.pt", {r: nets[r] for r in ("generator", "discriminator")})
    assert all(torch.equal(state["ema"]["generator"][k], v) for k, v in ema.state_dict().items())

    restored = restore(tmp_path / "model.pt")
    x, y = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 3, 3, 32, 32) * 2 - 1
    label = torch.tensor([0, 2])
    with torch.no_grad():
        assert torch.equal(restored.network("generator").translate(x, y), ema.eval().translate(x, y))
        ours = restored.run.models["discriminator"](x, ganforge.Condition(domain=label)).scores[0]
        assert torch.equal(ours, nets["discriminator"].eval()(x, ganforge.Condition(domain=label)).scores[0])


def test_import_rejects_damaged_and_foreign_files(tmp_path, capsys):
    nets = seeded_networks(CONFIG)
    gen = convert.to_official(nets["generator"])
    bad, dropped, reshaped = damage(gen, tmp_path / "gen.pt", drop="dec.Res1.conv1.H2H.weight",
                                    reshape="mlp.model.2.fc.bias")
    torch.save({"gen": torch.load(bad), "gen_test": gen}, tmp_path / "gen_00100000.pt")
    assert run_import("semit", [tmp_path / "gen_00100000.pt"], CONFIG, tmp_path / "model.pt") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'gen_00100000.pt'} ['gen'] does not fit") and len(err.splitlines()) <= 6
    assert f"missing: {dropped}" in err and f"{reshaped}: " in err

    torch.save({"gen": {"state": {}, "param_groups": []}, "dis": {}}, tmp_path / "optimizer.pt")  # not weights
    assert run_import("semit", [tmp_path / "optimizer.pt"], CONFIG, tmp_path / "model.pt") == 2
    assert "optimizer.pt ['gen']: not a state_dict of tensors" in capsys.readouterr().err

    torch.save({"G": gen}, tmp_path / "other.pt")  # another paper's file
    assert run_import("semit", [tmp_path / "other.pt"], CONFIG, tmp_path / "model.pt") == 2
    assert "other.pt: not a SEMIT checkpoint" in capsys.readouterr().err
    assert not (tmp_path / "model.pt").exists()


def test_applications_run_on_the_imported_checkpoint(tmp_path):
    """Few-shot translation of image files with the imported EMA generator (``ganforge semit
    translate --source --exemplar``), the synthetic-world grid, and ``ganforge sample``."""
    from ganforge.cli import main

    _, ema = write_release(tmp_path)
    model = tmp_path / "model.pt"
    assert run_import("semit", [tmp_path / "gen_00100000.pt", tmp_path / "dis_00100000.pt"], CONFIG, model) == 0
    paths = []
    for i in range(3):
        paths.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(torch.randint(0, 256, (40, 48, 3), dtype=torch.uint8).numpy()).save(paths[-1])
    generator, data = apps.load_generator(model)
    sources, exemplars = load_images(paths[:2], data.resolution), load_images(paths[1:], data.resolution)
    rows = apps.translate_files(generator, sources, exemplars, 0.3)
    with torch.no_grad():
        assert torch.equal(rows[2:], ema.eval().translate(sources, exemplars.expand(2, -1, -1, -1, -1), 0.3))

    main(["semit", "translate", str(model), "--source", paths[0], "--source", paths[1], "--exemplar", paths[1],
          "--exemplar", paths[2], "--alpha", "0.3", "--out", str(tmp_path / "files.png")])
    assert Image.open(tmp_path / "files.png").size == (2 * 32 + 3 * 2, 2 * 32 + 3 * 2)  # sources, translations
    main(["semit", "translate", str(model), "--out", str(tmp_path / "world.png")])
    assert Image.open(tmp_path / "world.png").size[1] == 3 * 32 + 4 * 2  # content, translations, ground truth
    main(["sample", str(model), "--n", "2", "--out", str(tmp_path / "sample.png")])
    assert (tmp_path / "sample.png").stat().st_size > 0

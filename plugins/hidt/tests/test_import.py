"""``ganforge import hidt``: the released generator file (``module.``-prefixed, with AdaIN's
dummy buffers) written from seeded weights becomes a ganforge checkpoint holding what
``convert.load_official`` puts into the networks; a damaged file is refused naming the
file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import ganforge_hidt.plugin
import ganforge_spade.plugin
from ganforge.testing.official import run_import, seeded_networks
from ganforge.trainer import checkpoint as ckpt
from ganforge_hidt import convert

from .helpers import FACTS, official_state

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "daytime.yaml"


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

"""The compatibility view runs the config check itself: a pair it calls ok passes the check
training runs, an impossible one carries the check's own reason, and the matrix in
docs/mixing.md is what docs/gen_compat.py computes now."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from ganforge.cli import main
from ganforge.compat import cell, compat
from ganforge.config import load_config
from ganforge.errors import GanforgeError

ROOT = Path(__file__).parents[2]
SPADE = ROOT / "plugins" / "spade" / "configs" / "synthetic.yaml"
SEAN = ROOT / "plugins" / "sean" / "configs" / "synthetic.yaml"


def test_known_good_pair_is_ok_in_every_slot():
    (entry,) = compat("normalizer", "sean", [SEAN])
    assert entry["recipe"] == "paired_conditional"
    assert [(s["slot"], s["ok"]) for s in entry["slots"]] == [("models.generator.norm", True),
                                                             ("models.generator.final_norm", True)]
    assert cell(entry["slots"]) == "ok"


def test_impossible_pair_carries_the_checks_own_reason():
    (entry,) = compat("discriminator", "stylegan2", [SPADE])
    (slot,) = entry["slots"]
    assert slot["slot"] == "models.discriminator" and not slot["ok"]
    with pytest.raises(GanforgeError) as exc:  # the same config through the check training runs
        load_config(SPADE, ["models.discriminator={type: stylegan2}"])
    assert str(exc.value) == f"{SPADE}: {slot['reason']}"
    assert "needs a discriminator with the 'features' capability" in slot["reason"]
    (entry,) = compat("normalizer", "sean", [SPADE])
    assert "normalizer 'sean' needs condition field 'region_style'" in entry["slots"][0]["reason"]
    assert "sean_style" in entry["slots"][0]["reason"] and cell(entry["slots"]) == "no"


def test_cli_text_and_errors(capsys):
    main(["compat", "discriminator", "stylegan2", "--base", str(SPADE)])
    out = capsys.readouterr().out
    assert out.startswith(f"{SPADE} (paired_conditional):\n  models.discriminator: no: models.discriminator: strategy")
    with pytest.raises(SystemExit) as exit_:
        main(["compat", "normalizer", "no_such_norm"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.startswith("error: no normalizer named 'no_such_norm'")


def test_matrix_in_docs_is_current():
    spec = importlib.util.spec_from_file_location("gen_compat", ROOT / "docs" / "gen_compat.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    text = gen.DOC.read_text()
    assert gen.START in text and gen.END in text
    assert gen.render(text) == text, "docs/mixing.md is stale: run python docs/gen_compat.py"

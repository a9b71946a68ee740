"""`ganforge params` on a fresh clone: every shipped config describes its data from its params
(no dataset root, no pretrained weight file is read)."""

import json
import re
from pathlib import Path

import pytest

from ganforge import registry
from ganforge.cli import main
from ganforge.config import counting_data, load_config

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS = [p for p in sorted(ROOT.glob("plugins/*/configs/**/*.yaml"))
               if not re.match(r"# yaml-language-server: \$schema=", p.read_text())]


def test_every_shipped_config_describes_its_data_from_params():
    assert len(EXPERIMENTS) > 60
    not_described = []
    for path in EXPERIMENTS:
        exp = load_config(path, check=False)
        record, params = registry.resolve("dataset", exp.data, "data")
        if record.cls.describe(params) is None:  # else `params` would read the dataset's files
            not_described.append(str(path.relative_to(ROOT)))
        counting_data(exp, str(path))  # names, params and the recipe's networks check out
    assert not not_described, not_described


@pytest.mark.parametrize("config,expected", [
    # the official counts (plugins/stylegan2/README.md, plugins/stargan_v2/README.md)
    ("plugins/stylegan2/configs/ffhq.yaml", {"generator": 30_370_060, "discriminator": 29_012_513}),
    ("plugins/stargan_v2/configs/afhq.yaml", {"generator": 33_892_995, "discriminator": 20_852_803}),
])
def test_params_json_needs_no_data_nor_weights(config, expected, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the configs' roots (data/ffhq, data/afhq) do not exist here
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no wing.ckpt for AFHQ's FAN
    previous = registry._current
    try:
        main(["params", str(ROOT / config), "--json"])
    finally:
        registry._current = previous
    counts = json.loads(capsys.readouterr().out)
    assert {role: counts[role]["total"] for role in expected} == expected


def test_counting_adds_a_missing_field_and_says_so():
    """BachGAN without 'boxes' in its data cannot train; its sizes can still be counted, and
    `ganforge params` prints these notes as warnings."""
    exp = load_config(ROOT / "plugins/bachgan/configs/synthetic.yaml", ["data.fields=[label]"], check=False)
    info, notes = counting_data(exp, "bachgan.yaml")
    assert "boxes" in info.fields and info.resolution == (64, 64)
    assert notes[0] == ("bachgan.yaml: models.generator: generator 'bachgan' needs condition field 'boxes', which the "
                        "data does not provide (counted anyway; training would refuse this config)")

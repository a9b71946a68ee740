"""``ganforge import bachgan``: official-layout files written from seeded weights round-trip
into a ganforge checkpoint; a damaged file is refused naming the file, the key and the shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganforge.testing.official import check_damaged_file, check_round_trip
from ganforge_bachgan import convert

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "synthetic.yaml"
FILES = {"generator": "60_net_G.pth", "discriminator": "60_net_D.pth"}  # role -> the official file name


@pytest.fixture(autouse=True)
def _isolated(registry):
    """The core and the plugins this one needs only."""


def test_import_round_trips_the_official_layout(tmp_path):
    check_round_trip("bachgan", CONFIG, FILES, convert.to_official, tmp_path)


def test_import_rejects_a_damaged_file(tmp_path, capsys):
    check_damaged_file("bachgan", CONFIG, "generator", FILES["generator"], convert.to_official, tmp_path, capsys)

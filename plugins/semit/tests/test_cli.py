"""``ganforge semit translate`` writes a grid of named rows."""

from pathlib import Path

import click
from click.testing import CliRunner
from PIL import Image

from ganforge_semit.cli import add_commands

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_translate_writes_named_rows(ganforge_registry, tmp_path):
    group = click.Group()
    add_commands(group)  # what the plugin's ganforge_cli hook adds to `ganforge`
    out = tmp_path / "fog.png"
    # a config stands for a run: the networks at initialisation
    result = CliRunner().invoke(group, ["semit", "translate", str(CONFIGS / "synthetic.yaml"), "--shots", "1",
                                        "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "rows, top to bottom: content, translated, ground truth (fog.json)" in result.output
    with Image.open(out) as im:
        assert im.size[1] == 3 * (im.size[0] - 2) // 6 + 2  # 6 columns, 3 rows of square cells

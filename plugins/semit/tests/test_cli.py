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


def test_runs_open_through_open_app_and_damaged_ones_are_named(ganforge_registry, tmp_path):
    """A checkpoint gives its (EMA) networks; a file that cannot be read, or a generator
    without weights, is one error naming it."""
    import pytest
    import torch

    import ganforge
    from ganforge.trainer import checkpoint as ckpt
    from ganforge_semit import apps

    models, exp = apps.load_run(CONFIGS / "synthetic.yaml", trained=False)
    state = {"config": exp.model_dump(mode="json"), "models": {r: m.state_dict() for r, m in models.items()},
             "ema": {"generator": {k: v + 1 for k, v in models["generator"].state_dict().items()}}, "step": 3}
    ckpt.save(tmp_path / "run.pt", state)
    G, data = apps.load_generator(tmp_path / "run.pt")
    assert data.resolution == (32, 32) and torch.equal(next(iter(G.state_dict().values())),
                                                       next(iter(state["ema"]["generator"].values())))
    loaded, _ = apps.load_run(tmp_path / "run.pt")
    assert set(loaded) == set(models) and not loaded["generator"].training
    assert torch.equal(next(iter(loaded["generator"].state_dict().values())),
                       next(iter(state["ema"]["generator"].values())))
    ckpt.save(tmp_path / "partial.pt", {**state, "ema": {}})  # the config averages G: its EMA copy is required
    with pytest.raises(ganforge.DataError, match="partial.pt: holds no weights for ema.generator"):
        apps.load_generator(tmp_path / "partial.pt")
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ganforge.DataError, match="bad.pt: cannot be read as a ganforge checkpoint"):
        apps.load_run(tmp_path / "bad.pt")

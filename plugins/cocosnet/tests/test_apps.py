"""The applications and ``ganforge cocosnet ...`` on a run folder in the trainer's format."""

from __future__ import annotations

import click
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import ganforge
from ganforge import Condition, DataInfo
from ganforge.config import from_dict, verify
from ganforge.trainer import build_networks
from ganforge.trainer.checkpoint import checkpoint_name, save
from ganforge_cocosnet import apps
from ganforge_cocosnet.cli import add_commands


def tiny_config(tiny) -> dict:
    return {"data": {"type": "synthetic", "resolution": 64, "length": 16, "fields": ["label"], "num_domains": 1},
            "models": tiny, "strategies": [{"type": "cocosnet_pairing"}],
            "strategy": {"type": "cocosnet", "contextual": {"type": "cocosnet_contextual", "weights": "none"}}}


@pytest.fixture
def run_dir(registry, tiny, tmp_path):
    exp = from_dict(tiny_config(tiny))
    torch.manual_seed(0)
    models, _ = build_networks(exp, verify(exp))
    save(tmp_path / "run" / "checkpoints" / checkpoint_name(3),
         {"config": exp.model_dump(mode="json"), "models": {r: m.state_dict() for r, m in models.items()},
          "ema": {}, "step": 3})
    return tmp_path / "run"


def invoke(*args):
    group = click.Group("ganforge")
    add_commands(group)
    return CliRunner().invoke(group, ["cocosnet", *map(str, args)], catch_exceptions=False)


def test_translate_writes_exemplar_warp_result_rows(run_dir):
    result = invoke("translate", run_dir, "--image", 0, "--exemplar", 1, "--exemplar", 2)
    assert result.exit_code == 0, result.output
    path = run_dir / "cocosnet_translate_step_00000003.png"
    assert f"wrote {path}" in result.output
    assert "rows, top to bottom: label map, exemplar, warped exemplar, generated, image" in result.output
    assert Image.open(path).size == (2 * 66 + 2, 5 * 66 + 2)  # 5 named rows, one column per exemplar


def test_edit_and_a_bad_index_is_a_clear_error(run_dir, tmp_path):
    out = tmp_path / "edit.png"
    assert invoke("edit", run_dir, "--image", 0, "--exemplar", 1, "--class", 0, "--out", out).exit_code == 0
    assert out.is_file()
    with pytest.raises(ganforge.ConfigError, match="sample index 99"):
        invoke("translate", run_dir, "--image", 99, "--exemplar", 1)


def test_region_edit_takes_the_exemplar_only_inside_the_region(registry, tiny):
    data = DataInfo(fields=frozenset({"label", "exemplar", "exemplar_label", "warped_exemplar"}),
                    resolution=(64, 64), label_nc=4)
    torch.manual_seed(0)
    corr = ganforge.build("encoder", tiny["correspondence"], data).eval()
    G = ganforge.build("generator", tiny["generator"], data).eval()
    label = torch.zeros(1, 64, 64, dtype=torch.long)
    label[:, 32:] = 2
    image, exemplar = torch.full((1, 3, 64, 64), -0.5), torch.full((1, 3, 64, 64), 0.5)
    cond = Condition(label=label, exemplar=exemplar, exemplar_label=label)
    warped, fake = apps.edit_regions(corr, G, image, cond, classes=[2])
    assert torch.allclose(warped[:, :, 32:], exemplar[:, :, 32:], atol=1e-5)  # flat images warp to themselves
    assert torch.allclose(warped[:, :, :32], image[:, :, :32], atol=1e-5)
    assert fake.shape == (1, 3, 64, 64)
    with pytest.raises(ganforge.ConfigError, match="at least one class"):
        apps.region_mask(label, [])

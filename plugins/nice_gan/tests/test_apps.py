"""``ganforge nice-gan translate`` on a run folder."""

import click
import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import ganforge
from ganforge import Condition
from ganforge.trainer import checkpoint as ckpt
from ganforge_nice_gan import apps
from ganforge_nice_gan.cli import add_commands
from ganforge.data.io import load_images

from .helpers import TINY_MODELS, make_run


@pytest.fixture
def run_dir(tmp_path, ganforge_registry):
    """A run folder holding one checkpoint of tiny networks on a 64 px synthetic world."""
    run, _ = make_run(TINY_MODELS)
    config = run.config.model_dump(mode="json")
    config["data"] = {"type": "synthetic", "resolution": 64, "num_domains": 2, "fields": ["domain"], "length": 4}
    path = tmp_path / "run" / "checkpoints" / ckpt.checkpoint_name(7)
    path.parent.mkdir(parents=True)
    ckpt.save(path, {"config": config, "models": {r: m.state_dict() for r, m in run.models.items()}, "ema": {},
                     "step": 7})
    return tmp_path / "run", run.models.eval()


def write_images(folder, n=2):
    paths = []
    for i in range(n):
        arr = (np.random.default_rng(i).uniform(0, 255, (64, 64, 3))).astype(np.uint8)
        paths.append(folder / f"x{i}.png")
        Image.fromarray(arr).save(paths[-1])
    return paths


def test_translate_uses_the_source_encoder_and_the_forward_generator(run_dir, tmp_path):
    folder, models = run_dir
    nets, data = apps.load_networks(folder)
    assert data.resolution == (64, 64)
    images = load_images(write_images(tmp_path), data.resolution)
    out = apps.translate(nets, images, "ba")
    with torch.no_grad():
        expected = models["generator_ba"](Condition(embedding=models["discriminator_b"].encode(images).embedding))
    torch.testing.assert_close(out["translated"], expected)
    assert out["heatmap"].shape == images.shape and out["heatmap"].min() == -1 and out["heatmap"].max() == 1


def test_translate_command_writes_a_grid(run_dir, tmp_path):
    group = click.Group()
    add_commands(group)  # what the plugin's ganforge_cli hook adds to `ganforge`
    sources = write_images(tmp_path, 3)
    out = tmp_path / "grid.png"
    args = ["nice-gan", "translate", str(run_dir[0]), "--direction", "ab", "--out", str(out)]
    result = CliRunner().invoke(group, args + [a for p in sources for a in ("--source", str(p))])
    assert result.exit_code == 0, result.output
    assert "rows, top to bottom: source, translated, cycled, heatmap (grid.json)" in result.output
    with Image.open(out) as im:
        assert im.size == (3 * 66 + 2, 4 * 66 + 2)  # 3 columns, 4 rows


def test_a_run_of_another_recipe_is_refused(tmp_path, ganforge_registry):
    path = tmp_path / "checkpoints" / ckpt.checkpoint_name(1)
    path.parent.mkdir()
    ckpt.save(path, {"format": ckpt.FORMAT, "step": 1, "config": {"data": {"type": "synthetic"}, "strategy": {"type": "stargan_v2"}}, "models": {},
                     "ema": {}})
    with pytest.raises(ganforge.ConfigError, match=r"step_00000001.pt \(config\): NICE-GAN's translation needs a "
                                                   r"NICE-GAN run \(strategy: nice_gan\); this run has no networks; "
                                                   r"strategies: stargan_v2$"):
        apps.load_networks(tmp_path)


def test_a_damaged_run_is_refused_naming_the_file(run_dir, tmp_path):
    """Through `ganforge.applications.open_app`: no checkpoint, an unreadable file, a
    network without weights are each one error naming the file."""
    (tmp_path / "empty" / "checkpoints").mkdir(parents=True)
    with pytest.raises(ganforge.GanforgeError, match="empty: no checkpoints in"):
        apps.load_networks(tmp_path / "empty")
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ganforge.DataError, match="bad.pt: cannot be read as a ganforge checkpoint"):
        apps.load_networks(tmp_path / "bad.pt")
    state = ckpt.load(ckpt.latest_checkpoint(run_dir[0]))
    del state["models"]["generator_ab"], state["format"]
    ckpt.save(tmp_path / "partial.pt", state)
    with pytest.raises(ganforge.DataError, match=r"partial.pt: holds no weights for models.generator_ab"):
        apps.load_networks(tmp_path / "partial.pt")

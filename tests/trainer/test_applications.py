"""ganforge.applications: the one type every paper's application commands reopen a run as."""

from types import SimpleNamespace

import pytest
import torch

from ganforge import Condition, ConfigError
from ganforge.applications import AppRun, open_app
from ganforge.config import from_dict
from ganforge.scenes import Scene
from ganforge.trainer import Trainer
from tiny_plugin import CountSteps, TinyEncoder, TinyGenerator, TinyRecipe


@pytest.fixture
def run_dir(registry, config_tree, tmp_path):
    """A run of the tiny recipe with a style encoder and an EMA generator, 6 steps."""
    config_tree["models"]["generator"]["use_style"] = True
    config_tree["models"]["encoder"] = "tiny_enc"
    config_tree["train"]["ema"] = {"enabled": True, "beta": 0.5, "roles": ["generator"]}
    Trainer(from_dict(config_tree), tmp_path / "run", show_progress=False).fit()
    return tmp_path / "run"


def test_an_app_run_has_the_networks_the_scenes_and_writes_beside_the_run(run_dir, tmp_path):
    app = open_app(run_dir, "tiny", "unused", generator=TinyGenerator, encoder="style", strategy=TinyRecipe)
    run = app.restored.run
    assert app.step == 6 and app.generator is run.ema["generator"] and app.encoder is run.models["encoder"]
    assert not app.generator.training and app.strategy(TinyRecipe) is app.restored.parts.recipe
    assert isinstance(open_app(run_dir, "tiny", "unused", encoder=TinyEncoder).encoder, TinyEncoder)
    image, cond = app.scenes([Scene(index=0), Scene(index=3)])
    assert image.shape == (2, 3, 8, 8) and torch.equal(cond["label"][1], app.dataset[3]["label"])
    message = app.write({"label map": cond["label"], "real": image}, None, "show")
    png = run_dir / "tiny_show_step_00000006.png"
    assert message == f"wrote {png}\nrows, top to bottom: label map, real (tiny_show_step_00000006.json)"
    assert png.is_file() and app.output(tmp_path / "grid.png", "show") == tmp_path / "grid.png"


@pytest.mark.parametrize("need", [{"encoder": "exemplar"}, {"generator": TinyEncoder}, {"strategy": CountSteps}])
def test_a_run_lacking_what_the_paper_needs_is_refused_saying_what_it_has(run_dir, need):
    with pytest.raises(ConfigError, match=r"step_00000006.pt \(config\): tiny needs more; this run has "
                                          r"models.generator: tiny_gen, models.discriminator: tiny_disc, "
                                          r"models.encoder: tiny_enc; strategies: tiny_recipe$"):
        open_app(run_dir, "tiny", "tiny needs more", **need)


def test_scenes_leave_out_what_the_encoder_computes(registry):
    """A dataset that has the encoder's field too (a ground-truth style) cannot stand in for it."""
    label, style = torch.zeros(1, 8, 8, dtype=torch.long), torch.ones(1, 4)
    restored = SimpleNamespace(scenes=lambda scenes: (torch.zeros(1, 3, 8, 8), Condition(label=label, style=style)))
    encoder = TinyEncoder(TinyEncoder.Params(), SimpleNamespace(image_channels=3))
    _, cond = AppRun(restored, "tiny", torch.nn.Identity(), encoder).scenes([Scene(index=0)])
    assert set(cond) == {"label"}
    _, cond = AppRun(restored, "tiny", torch.nn.Identity()).scenes([Scene(index=0)])
    assert set(cond) == {"label", "style"}

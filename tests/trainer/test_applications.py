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


def test_networks_by_role_and_what_they_were_built_for(run_dir):
    app = open_app(run_dir, "tiny", "unused", roles=("encoder", "discriminator"))
    run = app.restored.run
    assert app.network("encoder") is run.models["encoder"] and app.networks == {
        "generator": run.ema["generator"], "discriminator": run.models["discriminator"], "encoder": run.models["encoder"]}
    assert app.info.resolution == (8, 8) and app.config.strategy.type == "tiny_recipe"
    with pytest.raises(ConfigError, match=r"\(config\): tiny needs a mapping network; this run has models.generator"):
        open_app(run_dir, "tiny", "tiny needs a mapping network", roles=("encoder", "mapping"))


def test_a_generator_capability_is_checked_like_a_class(run_dir):
    from typing import Protocol, runtime_checkable

    @runtime_checkable
    class Styled(Protocol):
        def mean_w(self) -> torch.Tensor: ...

    assert isinstance(open_app(run_dir, "tiny", "unused", generator=TinyGenerator).generator, TinyGenerator)
    with pytest.raises(ConfigError, match=r"tiny needs a Styled generator; this run has models.generator: tiny_gen"):
        open_app(run_dir, "tiny", "tiny needs a Styled generator", generator=Styled)


def test_another_papers_run_is_refused_before_its_config_is_checked(registry, tmp_path):
    """A run of another registered recipe is told what this paper needs, even when its own
    config would not build here (no networks at all)."""
    from ganforge.trainer import checkpoint as ckpt

    path = tmp_path / "checkpoints" / ckpt.checkpoint_name(1)
    path.parent.mkdir()
    ckpt.save(path, {"step": 1, "config": {"data": {"type": "tiny_shapes"}, "strategy": {"type": "tiny_recipe"}},
                     "models": {}, "ema": {}})
    with pytest.raises(ConfigError, match=r"step_00000001.pt \(config\): tiny needs its counter; this run has no "
                                          r"networks; strategies: tiny_recipe$"):
        open_app(tmp_path, "tiny", "tiny needs its counter", strategy=CountSteps)


def test_the_networks_a_paper_drives_must_have_weights_the_others_need_not(run_dir, tmp_path):
    """A checkpoint trimmed to what an application uses opens; one lacking a network the
    paper asks for (generator, encoder or a role) is one error naming the file and role."""
    from ganforge import DataError
    from ganforge.trainer import checkpoint as ckpt

    state = ckpt.load(ckpt.latest_checkpoint(run_dir))
    del state["format"], state["models"]["discriminator"], state["models"]["encoder"]
    ckpt.save(tmp_path / "trimmed.pt", state)
    app = open_app(tmp_path / "trimmed.pt", "tiny", "unused")
    assert app.generator is app.restored.run.ema["generator"] and list(app.networks) == ["generator"]
    for need in ({"encoder": "style"}, {"roles": ("encoder",)}):
        with pytest.raises(DataError, match=r"trimmed.pt: holds no weights for models.encoder \(a damaged checkpoint\? "
                                            r"it has models.generator, ema.generator\)$"):
            open_app(tmp_path / "trimmed.pt", "tiny", "unused", **need)

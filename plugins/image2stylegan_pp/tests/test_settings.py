"""The per-application settings: the configs load, the paper's numbers are what ffhq.yaml says,
flags override a config, and a wrong key or value names the file (or the flag) and the field."""

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import ganforge
from ganforge_image2stylegan_pp.cli import add_commands, command_settings
from ganforge_image2stylegan_pp.settings import Settings, load_settings

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
COMMANDS = ("reconstruct", "crossover", "inpaint", "local-edit", "style-transfer", "feature-transfer")


def test_ffhq_yaml_holds_the_papers_settings_for_every_application():
    ffhq = load_settings(CONFIGS / "ffhq.yaml")
    assert ffhq == Settings()  # the defaults are the paper's: the file and the code cannot drift apart
    for command in COMMANDS:
        s = ffhq.section(command)
        # Image2StyleGAN (arXiv:1904.03189), whose W+ embedding Image2StyleGAN++ extends: Adam lr 0.01,
        # betas (0.9, 0.999), eps 1e-8, 5000 steps; VGG-16 conv1_1, conv1_2, conv3_2, conv4_2 on 256 px inputs.
        assert (s.schedule.lr, s.schedule.betas, s.schedule.eps, s.schedule.w_steps) == (0.01, (0.9, 0.999), 1e-8, 5000)
        assert s.vgg.layers == ("conv1_1", "conv1_2", "conv3_2", "conv4_2") and s.vgg.max_side == 256
        # arXiv:1911.11544 Sec. 1: the noise is optimised after W+, sequentially, never jointly.
        assert s.schedule.rounds == 1 and s.schedule.noise_steps > 0 and s.vgg.weights == "hub"
        # Not from the paper's text (not retrievable): 3000 noise steps at Adam lr 5, MSE only, as the
        # third-party reimplementation github.com/Bartzi/one-model-to-reconstruct-them-all
        # (utils/command_line_args.py, latent_projecting/__init__.py) runs them.
        assert (s.schedule.noise_steps, s.schedule.noise_lr, s.noise_perceptual) == (3000, 5.0, False)


def test_synthetic_yaml_is_the_short_offline_schedule():
    syn = load_settings(CONFIGS / "synthetic.yaml")
    assert (syn.reconstruct.schedule.w_steps, syn.reconstruct.schedule.noise_steps) == (1000, 1000)
    for command in COMMANDS[1:]:
        assert (syn.section(command).schedule.w_steps, syn.section(command).schedule.noise_steps) == (200, 200)
    for command in COMMANDS:
        assert syn.section(command).vgg.weights == "none" and syn.section(command).vgg.max_side is None
        assert (syn.section(command).schedule.lr, syn.section(command).schedule.noise_lr) == (0.01, 5.0)
    assert (syn.crossover.blur, syn.style_transfer.style) == (2.0, 1e6)


def test_flags_override_the_config_section_of_their_command():
    path = str(CONFIGS / "synthetic.yaml")
    s = command_settings("crossover", path, {"w_steps": 7, "blur": 0.5, "seed": None, "lr": None})
    assert (s.schedule.w_steps, s.schedule.noise_steps, s.blur, s.schedule.lr) == (7, 200, 0.5, 0.01)
    assert command_settings("reconstruct", path, {"w_steps": None}).schedule.w_steps == 1000
    assert command_settings("reconstruct", None, {}).schedule.w_steps == 5000  # no config: the paper's
    ft = command_settings("feature-transfer", path, {"layers": ("b8", "b16")})
    assert ft.layers == ("b8", "b16")
    with pytest.raises(ganforge.ConfigError, match=r"command line: .*\n  schedule\.w_steps: .*greater than or equal to 0"):
        command_settings("inpaint", path, {"w_steps": -3})


@pytest.mark.parametrize("text, field", [
    ("crossover: {blurr: 3}", r"crossover\.blurr: unknown key"),
    ("reconstruct: {schedule: {w_steps: many}}", r"reconstruct\.schedule\.w_steps: .*integer.*'many'"),
    ("local_edit: {seed: 1}\nsharpen: {seed: 1}", r"sharpen: unknown key"),
    ("style-transfer: {vgg: {max_side: 4}}", r"style-transfer\.vgg\.max_side: .*greater than or equal to 16"),
])
def test_a_bad_key_or_value_names_the_file_and_the_field(tmp_path, text, field):
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    with pytest.raises(ganforge.ConfigError, match=str(path).replace(".", r"\.") + r": invalid .*\n  " + field):
        load_settings(path)


def test_the_cli_reports_a_bad_config_before_loading_anything(tmp_path):
    (tmp_path / "bad.yaml").write_text("inpaint: {schedule: {w_stpes: 10}}")
    for name in ("ckpt.pt", "img.png"):
        (tmp_path / name).write_bytes(b"")
    group = click.Group("ganforge")
    add_commands(group)
    result = CliRunner().invoke(group, ["image2stylegan-pp", "inpaint", str(tmp_path / "ckpt.pt"),
                                        str(tmp_path / "img.png"), "--box", "0,0,4,4", "--out", str(tmp_path / "o.png"),
                                        "--config", str(tmp_path / "bad.yaml")])
    assert isinstance(result.exception, ganforge.ConfigError)
    assert f"{tmp_path / 'bad.yaml'}: invalid" in str(result.exception)
    assert "inpaint.schedule.w_stpes: unknown key" in str(result.exception)


def test_an_unknown_command_has_no_section():
    with pytest.raises(ganforge.ConfigError, match="no settings section for command 'sharpen'"):
        Settings().section("sharpen")


def test_shipped_schema_is_the_generated_one_and_the_files_name_it():
    """configs/settings.schema.json (what editors read) is current, and every settings file
    names it in its yaml-language-server line and validates against it."""
    import json

    import jsonschema
    import yaml

    from ganforge_image2stylegan_pp.settings import settings_schema

    configs = Path(__file__).resolve().parents[1] / "configs"
    shipped = json.loads((configs / "settings.schema.json").read_text())
    assert shipped == settings_schema(), "regenerate: ganforge image2stylegan-pp schema --out configs/settings.schema.json"
    validator = jsonschema.Draft202012Validator(shipped)
    for path in configs.glob("*.yaml"):
        text = path.read_text()
        assert text.startswith("# yaml-language-server: $schema=settings.schema.json\n"), path
        assert list(validator.iter_errors(yaml.safe_load(text))) == [], path
    typo = {"crossover": {"blurr": 2.0}}
    error = jsonschema.exceptions.best_match(validator.iter_errors(typo))
    assert error.json_path == "$.crossover" and "'blurr' was unexpected" in error.message

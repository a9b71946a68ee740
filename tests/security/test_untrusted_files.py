"""Checkpoints and official files are untrusted data (docs/security.md): no command that
opens one imports or unpickles code from it.

The attack: a checkpoint whose stored config lists a plugin (a ``.py`` file beside it,
or a bare module name) that touches ``pwned`` when imported. Every command that opens a
checkpoint runs against it in the attacker's folder; none may import the plugin, and
each says which plugins the checkpoint names and how to load them. A second file is a
pickle whose ``__reduce__`` touches ``pwned``, given to every command that reads an
official release.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import numpy as np
import pytest
import torch
from PIL import Image

from ganforge import registry
from ganforge.cli import cli as root_group
from ganforge.trainer.checkpoint import FORMAT

ROOT = Path(__file__).resolve().parents[2]

# Every command that opens a checkpoint (CKPT), with the other arguments it needs.
IMG = ["--image", "img.png"]
COMMANDS: dict[str, list[str]] = {
    "sample": ["CKPT", "--n", "1", "--out", "x.png"],
    "sample --labels": ["CKPT", "--labels", "lab.png", "--out", "x.png"],
    "eval": ["CKPT", "--metrics", "psnr"],
    "attentive-norm inpaint": ["CKPT"], "attentive-norm layout": ["CKPT"], "attentive-norm sample": ["CKPT"],
    "bachgan synthesize": ["CKPT"],
    "cocosnet edit": ["CKPT", "--image", "0", "--exemplar", "1", "--class", "1"],
    "cocosnet translate": ["CKPT", "--image", "0", "--exemplar", "1"],
    **{f"controllable-3d {c}": ["CKPT", "--out", "x.png"] for c in ("add", "camera", "move", "remove", "rotate")},
    "controllable-3d measure": ["CKPT"],
    "edgegan compose": ["CKPT", "CKPT", "--out", "x.png"], "edgegan objects": ["CKPT"],
    "hidt enhance": ["CKPT", *IMG, "--style", "img.png", "--enhancer", "img.png", "--out", "x.png"],
    "hidt random": ["CKPT", *IMG, "--out", "x.png"], "hidt swap": ["CKPT", *IMG, "--out", "x.png"],
    "hidt swap-eval": ["CKPT"], "hidt train-enhancer": ["CKPT", "--out", "x.pt"],
    **{f"image2stylegan-pp {c}": ["CKPT", "img.png", "img.png", "--out", "x.png"]
       for c in ("crossover", "feature-transfer", "style-transfer")},
    **{f"image2stylegan-pp {c}": ["CKPT", "img.png", "--out", "x.png"]
       for c in ("inpaint", "local-edit", "reconstruct")},
    "nice-gan translate": ["CKPT", "--source", "img.png", "--out", "x.png"],
    "sean interpolate": ["CKPT", "--image", "0", "--other", "1"], "sean reconstruct": ["CKPT"],
    "sean transfer": ["CKPT", "--image", "0", "--reference", "1", "--class", "1"],
    "semantic-pyramid composite": ["CKPT", *IMG, "--paste", "img.png", "--box", "0", "0", ".5", ".5", "--out", "x.png"],
    "semantic-pyramid generate": ["CKPT", *IMG, "--out", "x.png"],
    "semantic-pyramid inpaint": ["CKPT", *IMG, "--box", "0", "0", ".5", ".5", "--out", "x.png"],
    "semantic-pyramid relabel": ["CKPT", *IMG, "--label", "1", "--out", "x.png"],
    "semit score": ["CKPT"], "semit translate": ["CKPT", "--out", "x.png"],
    "smis diversity": ["CKPT"], "smis manipulate": ["CKPT", "--image", "0", "--from", "1", "--to", "2"],
    "smis mix": ["CKPT", "--image", "0", "--other", "1", "--class", "1"],
    "smis morph": ["CKPT", "--image", "0", "--other", "1"], "smis resample": ["CKPT", "--image", "0", "--class", "1"],
    "stargan-v2 evaluate": ["CKPT", "--mode", "latent"],
    "stargan-v2 interpolate": ["CKPT", "--source", "img.png", "--out", "x.png"],
    "stargan-v2 latent": ["CKPT", "--source", "img.png", "--out", "x.png"],
    "stargan-v2 reference": ["CKPT", "--source", "img.png", "--reference", "img.png:0", "--out", "x.png"],
    "stylegan2 generate": ["CKPT", "--seeds", "0", "--out", "x.png"],
    "stylegan2 style-mix": ["CKPT", "--row-seeds", "0", "--col-seeds", "1", "--out", "x.png"],
}
# Every importer of official releases (`ganforge import NAME FILE --config ...`) is run on
# the malicious pickle; so are the loaders that take official files outside `import`.
IMPORTERS = ("bachgan", "cocosnet", "hidt", "nice_gan", "sean", "smis", "spade", "stargan_v2", "stylegan2")
RUN_ARGUMENTS = {"run", "run_or_ckpt", "checkpoint", "foreground", "background"}


def command_name(key: str) -> list[str]:
    return [w for w in key.split() if not w.startswith("--")]


@pytest.fixture
def attack_dir(tmp_path, monkeypatch, attack):
    """The attacker's download folder, as the current directory: the plugin file, a
    picture and a label map for the commands' other arguments."""
    folder = tmp_path / "dl"
    folder.mkdir()
    (folder / "helpers.py").write_text(attack)
    Image.fromarray(np.full((16, 16, 3), 128, np.uint8)).save(folder / "img.png")
    Image.fromarray(np.ones((16, 16), np.uint8)).save(folder / "lab.png")
    monkeypatch.chdir(folder)
    monkeypatch.syspath_prepend(str(folder))  # so that the bare name `helpers` is importable too
    return folder


def crafted_checkpoint(folder: Path, plugin: str) -> Path:
    """A well-formed checkpoint whose config needs components only the plugin would register."""
    config = {"plugins": [plugin], "data": {"type": "synthetic", "resolution": 16},
              "models": {"generator": {"type": "evil_generator"}}, "strategy": {"type": "evil_recipe"}}
    path = folder / "model.pt"
    torch.save({"format": FORMAT, "step": 1, "config": config, "models": {}, "ema": {}}, path)
    return path


@pytest.mark.parametrize("plugin", ["helpers.py", "helpers"])
def test_no_command_imports_the_plugins_a_checkpoint_names(attack_dir, ganforge, plugin):
    crafted_checkpoint(attack_dir, plugin)
    for key, args in COMMANDS.items():
        code, err = ganforge(*command_name(key), *[("model.pt" if a == "CKPT" else a) for a in args])
        assert not (attack_dir / "pwned").exists(), f"`ganforge {key}` imported {plugin} from a checkpoint"
        assert code == 2, f"`ganforge {key}` exited {code}: {err}"
        assert err.startswith("error: model.pt (config): strategy: no strategy named 'evil_recipe'"), (key, err)
        assert (f"\n  the checkpoint was made with plugins that are not loaded: {plugin}. ganforge never imports "
                f"code named inside a checkpoint; if you trust them, load them yourself: `ganforge --plugin {plugin} COMMAND ...`"
                in err), (key, err)
    assert "helpers" not in __import__("sys").modules


def test_the_list_covers_every_command_that_opens_a_checkpoint(attack_dir, ganforge):
    from ganforge.cli import _load_commands

    ganforge("plugins")
    _load_commands()  # the lazy group adds the built-in and the plugins' commands on first use

    def walk(group: click.Group, prefix: tuple[str, ...]):
        for name, cmd in group.commands.items():
            if isinstance(cmd, click.Group):
                yield from walk(cmd, (*prefix, name))
            elif {p.name for p in cmd.params if isinstance(p, click.Argument)} & RUN_ARGUMENTS:
                yield " ".join((*prefix, name))

    listed = {" ".join(command_name(k)) for k in COMMANDS}
    assert set(walk(root_group, ())) == listed


class Payload:
    def __reduce__(self):
        return (Path("pwned").touch, ())


def test_official_files_are_read_without_unpickling_code(attack_dir, ganforge):
    torch.save({"g_ema": Payload()}, attack_dir / "official.pt")
    names = sorted({r.name for r in registry.get_registry().importers})  # new importers are run too
    assert set(IMPORTERS) <= set(names)
    for name in names:
        config = ROOT / "plugins" / name / "configs" / "synthetic.yaml"
        code, err = ganforge("import", name, "official.pt", "--config", config, "--out", "x.pt")
        assert not (attack_dir / "pwned").exists(), f"`ganforge import {name}` unpickled code"
        assert code == 2 and err.startswith("error: official.pt: ") and "Unsupported global" in err, err
    from ganforge.errors import GanforgeError
    from ganforge.weights import load_state_dict
    from ganforge_hidt.apps import build_enhancer

    with pytest.raises(GanforgeError, match="official.pt"):  # backbone weights (VGG, Inception, LPIPS ...)
        load_state_dict(attack_dir / "official.pt", "test")
    with pytest.raises(GanforgeError, match="official.pt"):  # `hidt enhance --enhancer FILE`
        build_enhancer(64, weights=attack_dir / "official.pt")
    assert not (attack_dir / "pwned").exists()


def test_every_torch_load_in_the_sources_is_weights_only():
    """The Python loaders (each plugin's ``load_official``, pools, backbones) too: a
    ``torch.load`` without ``weights_only=True`` anywhere in the code is a hole."""
    sources = [*ROOT.glob("core/**/*.py"), *ROOT.glob("registry/**/*.py"), *ROOT.glob("plugins/*/ganforge_*/**/*.py")]
    calls = 0
    for path in sources:
        text = path.read_text()
        for match in re.finditer(r"torch\.load\(", text):
            call = text[match.end():text.find(")", match.end()) + 1]
            calls += 1
            assert "weights_only=True" in call, f"{path}: torch.load({call} without weights_only=True"
    assert calls >= 3  # the loaders of checkpoints, official files and backbone weights

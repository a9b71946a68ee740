"""Test kit for importers of official checkpoints (``ganforge import``).

`seeded_networks` builds a config's networks exactly as ``ganforge import`` does, with
seeded random weights; a test writes them in the official layout, runs `run_import`, and
checks with `assert_imported` that the checkpoint holds those weights. `damage` writes a
copy of an official state_dict with one key removed and one tensor mis-shaped, which the
import must refuse with an error naming the file, the key and the shapes. `run_cli` runs
the paper's application on the imported checkpoint as a user would, and `grid_rows` /
`pixels` compare the grid it writes with the networks' own outputs, pixel for pixel.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from ganforge.config import load_config, verify
from ganforge.run import Run
from ganforge.trainer import checkpoint as ckpt
from ganforge.trainer.assemble import assemble


def seeded_networks(config: str | os.PathLike, seed: int = 0, overrides: Sequence[str] = ()) -> dict[str, nn.Module]:
    """The networks ``config`` builds (rewired by ``ganforge_setup`` as in training), with
    random weights from ``seed`` and every floating buffer perturbed, so that a mapping
    that swaps two tensors of one shape cannot pass."""
    exp = load_config(config, overrides, check=False)
    info = verify(exp, source=str(config))
    torch.manual_seed(seed)
    parts = assemble(exp, info)
    run = Run(config=exp, data=info, models=parts.models, hook=parts.pm.hook, training=False)
    parts.pm.hook.ganforge_setup(run=run)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in parts.models.values():
            for t in [*module.parameters(), *module.buffers()]:
                if t.is_floating_point():
                    t.add_(torch.randn(t.shape, generator=gen) * 0.01)
    return dict(parts.models)


def run_cli(*args: object) -> int:
    """``ganforge ARGS...`` in-process, with the current registry (a test's isolated one):
    the core's commands and every loaded plugin's (``ganforge_cli``), errors reported as
    ``main`` reports them: one ``error: ...`` line on stderr (read it with pytest's
    ``capsys``), status 2."""
    import sys

    import click

    from ganforge import cli, registry
    from ganforge.errors import GanforgeError

    group = click.Group("ganforge")
    cli._add_builtin_commands(group)
    cli._add_plugin_commands(registry.get_registry(), group)
    try:
        group.main(args=[str(a) for a in args], prog_name="ganforge", standalone_mode=False)
    except GanforgeError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    except click.ClickException as exc:
        exc.show(sys.stderr)
        return exc.exit_code
    return 0


def run_import(importer: str, files: Sequence[str | os.PathLike], config: str | os.PathLike, out: str | os.PathLike,
               *extra: str) -> int:
    """``ganforge import IMPORTER FILES --config CONFIG --out OUT`` through `run_cli`."""
    return run_cli("import", importer, *files, "--config", config, "--out", out, *extra)


def grid_rows(png: str | os.PathLike) -> dict[str, np.ndarray]:
    """The named rows of a grid written by `ganforge.report.save_rows` (a command's output),
    each as (columns, H, W, 3) uint8 pixels, read back from the PNG and its JSON names."""
    import json

    from PIL import Image

    png = Path(png)
    meta = json.loads(png.with_suffix(".json").read_text(encoding="utf-8"))
    names, columns = meta["rows"], meta["columns"]
    with Image.open(png) as im:
        grid = np.asarray(im.convert("RGB"))
    h, w = (grid.shape[0] - 2) // len(names) - 2, (grid.shape[1] - 2) // columns - 2
    return {name: np.stack([grid[2 + r * (h + 2):2 + r * (h + 2) + h, 2 + c * (w + 2):2 + c * (w + 2) + w]
                            for c in range(columns)]) for r, name in enumerate(names)}


def pixels(images: torch.Tensor) -> np.ndarray:
    """(B, 3, H, W) images in [-1, 1] as the (B, H, W, 3) uint8 pixels a grid holds
    (`ganforge.report.to_uint8_grid`'s quantisation), to compare with `grid_rows`."""
    from ganforge.report import to_uint8_grid

    return np.stack([to_uint8_grid(x[None], 1, pad=0) for x in images])


def assert_imported(path: str | os.PathLike, expected: dict[str, nn.Module], ema: Sequence[str] = ()) -> dict:
    """The checkpoint at ``path`` holds exactly ``expected``'s weights for each role (and in
    its EMA copies for the roles in ``ema``); returns the checkpoint."""
    state = ckpt.load(path)
    assert state["step"] == 0 and state["imported"]["roles"]
    for role, module in expected.items():
        for where in ("models", *(["ema"] if role in ema else [])):
            got = state[where][role]
            want = module.state_dict()
            assert set(got) == set(want), f"{where}.{role}: keys differ"
            for k, v in want.items():
                assert torch.equal(got[k], v), f"{where}.{role}.{k} differs"
    return state


def damage(state: dict[str, torch.Tensor], path: str | os.PathLike, drop: str | None = None,
           reshape: str | None = None) -> tuple[Path, str, str]:
    """Write ``state`` to ``path`` without the key ``drop`` and with ``reshape`` one row
    shorter (defaults: the first and the last keys of at least one dimension); returns
    (path, dropped key, reshaped key)."""
    keys = [k for k, v in state.items() if v.dim() >= 1 and v.shape[0] > 1]
    drop = drop or keys[0]
    reshape = reshape or keys[-1]
    bad = {k: v for k, v in state.items() if k != drop}
    bad[reshape] = state[reshape][1:].clone()
    path = Path(path)
    torch.save(bad, path)
    return path, drop, reshape


def write_scene(folder: str | os.PathLike, name: str, size: tuple[int, int], label_nc: int, seed: int,
                block: int = 8) -> tuple[str, torch.Tensor, torch.Tensor]:
    """A random image file and a label-map file of ``block`` x ``block`` regions of random
    classes (ids as pixel values), at ``size`` (H, W); returns the command-line scene
    ``IMAGE:LABEL``, and the (1, 3, H, W) image in [-1, 1] and (1, H, W) label map an
    application reads from them."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    h, w = size
    rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    label = rng.integers(0, label_nc, (-(-h // block), -(-w // block))).repeat(block, 0).repeat(block, 1)[:h, :w]
    folder = Path(folder)
    image_path, label_path = folder / f"{name}.png", folder / f"{name}_label.png"
    Image.fromarray(rgb).save(image_path)
    Image.fromarray(label.astype(np.uint8)).save(label_path)
    image = torch.from_numpy((rgb.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1).copy())[None]
    return f"{image_path}:{label_path}", image, torch.from_numpy(label.astype(np.int64))[None]


@torch.no_grad()
def calibrate(module: nn.Module, *inputs: object) -> nn.Module:
    """Set ``module``'s batch-norm running statistics to those of one training-mode pass on
    ``inputs`` (momentum 1), as a trained network's are. With the initial statistics (mean
    0, variance 1) an eval-mode network of random weights saturates its tanh output, and a
    test comparing its pixels would compare signs only. Returns ``module`` in eval mode."""
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in norms]
    for m in norms:
        m.momentum = 1.0
    module.train()
    module(*inputs)
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
    return module.eval()


ToOfficial = Callable[[nn.Module], dict[str, torch.Tensor]]


def check_round_trip(importer: str, config: str | os.PathLike, files: Mapping[str, str], to_official: ToOfficial,
                     tmp_path: Path) -> dict:
    """Each role's seeded network written as ``files[role]`` (the official file name) by
    ``to_official``, imported in reverse order (files go by their layout, not their
    position): the checkpoint holds exactly those weights. Returns the checkpoint."""
    nets = seeded_networks(config)
    for role, name in files.items():
        torch.save(to_official(nets[role]), tmp_path / name)
    assert run_import(importer, [tmp_path / n for n in reversed(files.values())], config, tmp_path / "model.pt") == 0
    return assert_imported(tmp_path / "model.pt", {role: nets[role] for role in files})


def check_damaged_file(importer: str, config: str | os.PathLike, role: str, name: str, to_official: ToOfficial,
                       tmp_path: Path, capsys) -> str:
    """``role``'s official file with a key missing and a tensor mis-shaped (`damage`) is
    refused with one ``error:`` line naming the file, the missing key and the mis-shaped
    one, and no checkpoint is written. Returns the error text."""
    path, dropped, reshaped = damage(to_official(seeded_networks(config)[role]), tmp_path / name)
    assert run_import(importer, [path], config, tmp_path / "model.pt") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path} does not fit") and dropped in err and f"{reshaped}: " in err, err
    assert not (tmp_path / "model.pt").exists()
    return err

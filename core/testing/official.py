"""Test kit for importers of official checkpoints (``ganforge import``).

`seeded_networks` builds a config's networks exactly as ``ganforge import`` does, with
seeded random weights; a test writes them in the official layout, runs `run_import`, and
checks with `assert_imported` that the checkpoint holds those weights. `damage` writes a
copy of an official state_dict with one key removed and one tensor mis-shaped, which the
import must refuse with an error naming the file, the key and the shapes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Mapping, Sequence

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


def run_import(importer: str, files: Sequence[str | os.PathLike], config: str | os.PathLike, out: str | os.PathLike,
               *extra: str) -> int:
    """``ganforge import IMPORTER FILES --config CONFIG --out OUT`` through the command line
    with the current registry (a test's isolated one), errors reported as ``main`` reports
    them: one ``error: ...`` line on stderr (read it with pytest's ``capsys``), status 2."""
    import sys

    import click

    from ganforge import cli
    from ganforge.errors import GanforgeError

    cli._add_builtin_commands(cli.cli)
    args = ["import", importer, *map(str, files), "--config", str(config), "--out", str(out), *extra]
    try:
        cli.cli.main(args=args, prog_name="ganforge", standalone_mode=False)
    except GanforgeError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    except click.ClickException as exc:
        exc.show(sys.stderr)
        return exc.exit_code
    return 0


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

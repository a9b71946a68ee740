"""Every ``--seed`` / ``--seeds`` option shares one type, so every command refuses the same values."""

import click
import pytest
from click.testing import CliRunner

from ganforge.cli_types import SEED, SEED_LIMIT, SEEDS


@click.command()
@click.option("--seed", type=SEED, default=0)
@click.option("--seeds", type=SEEDS, default="0")
def show(seed, seeds):
    click.echo(f"{seed} {seeds}")


def run(*args):
    return CliRunner().invoke(show, list(args))


def test_seed_lists_take_numbers_and_ranges():
    result = run("--seeds", "0-2, 7", "--seed", str(SEED_LIMIT))
    assert result.exit_code == 0 and result.output == f"{SEED_LIMIT} [0, 1, 2, 7]\n"


@pytest.mark.parametrize("args, message", [
    (["--seed", str(2**64)], "is not in the range 0<=x<=9223372036854775807"),
    (["--seed", "-1"], "is not in the range"),
    (["--seeds", "a-b"], "'a-b': expected seeds and ranges like 0,3,10-15"),
    (["--seeds", "1,"], "'1,': expected seeds and ranges"),
    (["--seeds", f"0-{2**63}"], f"seeds go up to {SEED_LIMIT}"),
    (["--seeds", "5-2"], "range 5-2 runs backwards"),
])
def test_bad_seeds_are_refused_by_name(args, message):
    result = run(*args)
    assert result.exit_code == 2 and message in result.output and f"'{args[0]}'" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_plugin_commands_use_the_shared_types():
    """A ``--seed`` declared with a bare ``int`` would accept 2**64 and crash in torch.manual_seed."""
    from ganforge import cli, registry

    previous = registry._current
    try:
        cli._load_commands()
    finally:
        registry._current = previous  # later tests keep their own registry
    seeds = []

    def walk(cmd, path):
        for param in getattr(cmd, "params", []):
            if any(o.lstrip("-").endswith("seed") or o.lstrip("-").endswith("seeds") for o in param.opts):
                seeds.append((path, param.opts[0], param.type))
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(cli.cli, "ganforge")
    assert len(seeds) >= 10
    wrong = [(path, opt) for path, opt, kind in seeds if kind not in (SEED, SEEDS)]
    assert not wrong, wrong

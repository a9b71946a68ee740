"""Shared by the untrusted-file tests: the attacker's plugin and `ganforge` run in-process."""

from __future__ import annotations

import pytest

from ganforge import registry
from ganforge.cli import main

ATTACK = "import pathlib\npathlib.Path('pwned').touch()\n"


def run_main(*args) -> int:
    """The exit code of `main` run in this process (the current registry is kept)."""
    previous = registry._current
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        return exc.code or 0
    finally:
        registry._current = previous
    return 0


@pytest.fixture
def ganforge(capsys):
    """``ganforge(*args) -> (exit code, stderr)``."""
    def run(*args) -> tuple[int, str]:
        code = run_main(*args)
        return code, capsys.readouterr().err
    return run


@pytest.fixture
def attack():
    return ATTACK

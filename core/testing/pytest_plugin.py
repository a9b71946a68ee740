"""The pytest plugin ganforge installs (entry point ``pytest11``): fixtures for plugin tests.

* ``ganforge_registry`` — the registry of the installed plugins, loaded strictly: a
  plugin that fails to import fails the test instead of silently missing components.
* ``isolated_registry`` — a factory: ``isolated_registry(("name", module_or_object), ...)``
  builds a registry from the core and exactly those plugins (no entry points besides the
  core's), makes it current for the test, and restores the previous one afterwards.
* ``throwaway_plugin`` — a factory writing a plugin module to a temporary file from
  source text and returning its path, for ``--plugin`` / ``GANFORGE_PLUGINS`` tests.

The ini option ``ganforge_torch_threads`` (e.g. ``ganforge_torch_threads = "1"`` under
``[tool.pytest.ini_options]``) sets torch's intra-op threads for the session: tiny test
networks gain nothing from threads, and on a shared CI machine they only contend.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch

from ganforge import builtin, registry


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("ganforge_torch_threads", "torch intra-op threads for the test session (empty: torch's default)",
                  default="")


def pytest_configure(config: pytest.Config) -> None:
    threads = config.getini("ganforge_torch_threads")
    if threads:
        if not str(threads).isdigit() or int(threads) < 1:
            raise pytest.UsageError(f"ganforge_torch_threads = {threads!r}: expected a positive integer")
        torch.set_num_threads(int(threads))


@pytest.fixture
def ganforge_registry():
    previous = registry._current
    reg = registry.load(strict=True)
    yield reg
    _restore(previous)


@pytest.fixture
def isolated_registry():
    previous = registry._current

    def make(*plugins: tuple[str, object], strict: bool = True, core: bool = True):
        objects = ([("core", builtin)] if core else []) + list(plugins)
        return registry.load(autoload=False, objects=objects, strict=strict)

    yield make
    _restore(previous)


@pytest.fixture
def throwaway_plugin(tmp_path: Path):
    def write(source: str, name: str = "throwaway_plugin") -> Path:
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        return path

    return write


def _restore(previous) -> None:
    if previous is None:
        registry._current = None
    else:
        registry.set_registry(previous)

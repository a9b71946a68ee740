"""Core test helpers: fake installed distributions for discovery tests."""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import pytest

# the CLI's registry snapshot (ganforge.registry.cache) goes to a folder of this session
os.environ.setdefault("GANFORGE_CACHE_DIR", tempfile.mkdtemp(prefix="ganforge-cache-"))


@pytest.fixture
def fake_dist(tmp_path: Path, monkeypatch):
    """Install a distribution into a temporary site directory: a module plus a dist-info
    with a ``ganforge`` entry point, exactly as pip lays it out. Returns the site path."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    def install(dist: str, version: str, module: str, source: str, ep_name: str | None = None) -> Path:
        (site / f"{module}.py").write_text(textwrap.dedent(source))
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[ganforge]\n{ep_name or module} = {module}\n")
        (info / "RECORD").write_text("")
        return site

    return install


@pytest.fixture(scope="session")
def toy_plugin():
    """tests/core/toy_plugin.py loaded as a local plugin file would be."""
    from ganforge.registry.discovery import _load_file

    return _load_file(Path(__file__).parent / "core" / "toy_plugin.py")

"""What discovery found, kept on disk so the CLI answers without importing any plugin.

``ganforge --help``, ``plugins``, ``components``, ``describe`` and ``schema`` read a JSON
snapshot of the registry (plugin statuses, component records with their ``describe``
data, the experiment schema, the commands each plugin adds) instead of importing 16
plugins and what they import (torchvision, ``torch._dynamo`` ...). The snapshot is keyed
by a fingerprint of what could change the answer: ganforge's version, Python's, the
installed ``ganforge`` entry points with their distributions' versions, and the size and
mtime of every ``.py`` file of the packages they name and of ganforge itself (editable
installs change without a version bump). Any other key, a local plugin (``--plugin``,
``GANFORGE_PLUGINS``) or ``-p no:NAME`` bypasses it; so does ``GANFORGE_NO_CACHE=1``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

from ganforge.version import __version__

from .discovery import ENTRYPOINT_GROUP, ENV_NO_AUTOLOAD, ENV_PLUGINS

ENV_CACHE_DIR = "GANFORGE_CACHE_DIR"
ENV_NO_CACHE = "GANFORGE_NO_CACHE"
FORMAT = 2  # 2: a plugin whose ganforge_cli failed has status "commands failed"


def cache_dir() -> Path:
    """``$GANFORGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/ganforge`` (``~/.cache/ganforge``)."""
    if os.environ.get(ENV_CACHE_DIR):
        return Path(os.environ[ENV_CACHE_DIR])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ganforge"


def _package_files(module: str) -> list[Path]:
    """The ``.py`` files of the top-level package of ``module``, found without importing it."""
    try:
        spec = importlib.util.find_spec(module.split(".")[0])
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    if spec.submodule_search_locations:
        return sorted(p for root in spec.submodule_search_locations for p in Path(root).rglob("*.py"))
    return [Path(spec.origin)] if spec.origin else []


def fingerprint() -> str:
    """A digest of everything a snapshot depends on (see the module docstring)."""
    h = hashlib.sha256(f"{FORMAT} {__version__} {sys.version} {sys.prefix}".encode())
    h.update(f"autoload={not os.environ.get(ENV_NO_AUTOLOAD)}".encode())
    modules = {"ganforge", "ganforge.registry"}
    for ep in sorted(md.entry_points(group=ENTRYPOINT_GROUP), key=lambda e: (e.name, e.value)):
        dist = ep.dist.name if ep.dist else ""
        version = ep.dist.version if ep.dist else ""
        h.update(f"ep {ep.name}={ep.value} {dist} {version}\n".encode())
        modules.add(ep.module)
    for module in sorted(modules):
        for path in _package_files(module) if module != "ganforge.registry" else Path(__file__).parent.glob("*.py"):
            try:
                st = path.stat()
            except OSError:
                continue
            h.update(f"{path} {st.st_size} {st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:24]


def usable(plugins: list[str], disabled: list[str]) -> bool:
    """Whether this invocation may use a snapshot (no local or disabled plugins)."""
    return not (plugins or disabled or os.environ.get(ENV_PLUGINS, "").strip() or os.environ.get(ENV_NO_CACHE))


def read_snapshot() -> dict[str, Any] | None:
    """The snapshot of the current fingerprint, or None."""
    path = cache_dir() / f"registry-{fingerprint()}.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def write_snapshot(data: dict[str, Any]) -> None:
    """Write atomically; a read-only cache folder only costs speed."""
    from ganforge.files import atomic_write_bytes

    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("registry-*.json"):
            old.unlink(missing_ok=True)
        atomic_write_bytes(directory / f"registry-{fingerprint()}.json",
                           json.dumps({"format": FORMAT, **data}, default=str).encode())
    except OSError:
        pass


def snapshot(build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The current snapshot, made with ``build`` (which loads the registry) when missing."""
    data = read_snapshot()
    if data is None:
        data = {"format": FORMAT, **build()}
        write_snapshot(data)
    return data

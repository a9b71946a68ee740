"""Find and load plugins, one at a time, recording every failure instead of crashing.

Order (later sources may add plugins, never replace one already loaded):
1. entry points of group ``ganforge`` (skipped when ``GANFORGE_DISABLE_PLUGIN_AUTOLOAD``
   is set), de-duplicated by distribution;
2. modules or ``.py`` files in ``GANFORGE_PLUGINS`` (comma-separated);
3. ``--plugin`` options and a config's ``plugins:`` list.

``-p no:NAME`` (``disabled``) blocks a plugin by its entry-point, module or
distribution name. A plugin that raises on import, fails to register, or was written for
another API version is recorded with its error; the others keep working.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import importlib.util
import os
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Iterable

import pluggy

from ganforge import hookspecs
from ganforge.version import API_VERSION, __version__

from .records import PluginInfo

ENTRYPOINT_GROUP = "ganforge"
ENV_PLUGINS = "GANFORGE_PLUGINS"
ENV_NO_AUTOLOAD = "GANFORGE_DISABLE_PLUGIN_AUTOLOAD"


def new_plugin_manager() -> pluggy.PluginManager:
    """An empty manager with ganforge's installed-plugin hooks."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs.InstallSpecs)
    return pm


_REGISTRY_DIR = str(Path(__file__).resolve().parent)


def _short_error(exc: BaseException) -> str:
    """The exception and the last frame outside the registry (the plugin's own line: a
    bad ``register(...)`` call, not the check in registry/components.py that caught it)."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if not f.filename.startswith(_REGISTRY_DIR)] or frames
    where = f" (at {own[-1].filename}:{own[-1].lineno})" if own else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _check_api(module: ModuleType) -> tuple[str | None, tuple[str, ...]]:
    """(an incompatibility message or None, warnings). The rule: a plugin declares
    ``GANFORGE_API = "MAJOR.MINOR"``; its MAJOR must equal the core's (else it is not
    loaded); a MINOR newer than the core's, or no declaration at all, loads with a warning
    (an unknown hook is still caught by `Discovery._unknown_hooks`)."""
    declared = getattr(module, "GANFORGE_API", None)
    provides = f"{API_VERSION[0]}.{API_VERSION[1]}"
    if declared is None:
        return None, (f"declares no GANFORGE_API; add GANFORGE_API = \"{provides}\" to {module.__name__} "
                      "so an incompatible ganforge is detected",)
    major, _, minor = str(declared).partition(".")
    if major != str(API_VERSION[0]):
        return (f"written for ganforge plugin API {declared}, this ganforge {__version__} "
                f"provides API {provides}"), ()
    if minor.isdigit() and int(minor) > API_VERSION[1]:
        return None, (f"written for plugin API {declared}, newer than this ganforge's {provides}: "
                      "features added since may be missing",)
    return None, ()


def _load_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise FileNotFoundError(f"plugin file {path} does not exist")
    name = f"ganforge_local_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _import_local(ref: str) -> tuple[str, ModuleType]:
    if ref.endswith(".py") or os.sep in ref or "/" in ref:
        path = Path(ref).expanduser().resolve()
        return path.stem, _load_file(path)
    return ref, importlib.import_module(ref)


class Discovery:
    """Loads plugins into a pluggy manager and keeps a `PluginInfo` per plugin."""

    def __init__(self, disabled: Iterable[str] = ()):
        self.pm = new_plugin_manager()
        self.disabled = set(disabled)
        self.infos: dict[str, PluginInfo] = {}
        self._seen_modules: set[str] = set()

    # -- sources -------------------------------------------------------------------
    def load_entrypoints(self) -> None:
        seen_dists: set[str] = set()
        for ep in sorted(md.entry_points(group=ENTRYPOINT_GROUP), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist else None
            version = ep.dist.version if ep.dist else None
            key = f"{dist}:{ep.name}"
            if key in seen_dists:  # same distribution on sys.path twice
                continue
            seen_dists.add(key)
            if self._is_disabled(ep.name, dist, ep.module):
                self._record(PluginInfo(ep.name, dist, version, "entrypoint", "disabled", module=ep.module))
                continue
            try:
                module = ep.load()
            except BaseException as exc:  # noqa: BLE001 - isolate any plugin failure
                if isinstance(exc, KeyboardInterrupt):
                    raise
                self._record(PluginInfo(ep.name, dist, version, "entrypoint", "failed",
                                        error=_short_error(exc), module=ep.module))
                continue
            self._add(module, ep.name, dist, version, "entrypoint")

    def load_local(self, refs: Iterable[str], source: str) -> None:
        for ref in refs:
            ref = ref.strip()
            if not ref:
                continue
            name = Path(ref).stem if ref.endswith(".py") else ref
            if self._is_disabled(name, None, ref):
                self._record(PluginInfo(name, None, None, source, "disabled", module=ref))
                continue
            try:
                name, module = _import_local(ref)
            except BaseException as exc:  # noqa: BLE001
                if isinstance(exc, KeyboardInterrupt):
                    raise
                self._record(PluginInfo(name, None, None, source, "failed", error=_short_error(exc), module=ref))
                continue
            self._add(module, name, None, None, source)

    def add_object(self, plugin: object, name: str, source: str = "direct") -> None:
        """Register an already imported module or object (tests, notebooks)."""
        self._add(plugin, name, None, None, source)

    # -- helpers -------------------------------------------------------------------
    def _is_disabled(self, name: str, dist: str | None, module: str | None) -> bool:
        names = {name, module, dist, dist and dist.replace("-", "_")} - {None}
        return bool(names & self.disabled)

    def _record(self, info: PluginInfo) -> None:
        self.infos[info.name] = info

    def _add(self, module: object, name: str, dist: str | None, version: str | None, source: str) -> None:
        mod_name = getattr(module, "__name__", name)
        if mod_name in self._seen_modules or name in self.infos:
            return
        self._seen_modules.add(mod_name)
        problem, warnings = _check_api(module) if isinstance(module, ModuleType) else (None, ())
        if problem is None:
            problem = self._unknown_hooks(module)
        if problem is not None:
            self._record(PluginInfo(name, dist, version, source, "incompatible", error=problem, module=mod_name))
            return
        try:
            self.pm.register(module, name=name)
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, KeyboardInterrupt):
                raise
            self._record(PluginInfo(name, dist, version, source, "failed", error=_short_error(exc), module=mod_name))
            return
        self._record(PluginInfo(name, dist, version, source, "ok", module=mod_name, warnings=warnings))

    def _unknown_hooks(self, module: object) -> str | None:
        """tox's rule: a plugin implementing hooks this version lacks is named, not run."""
        known = {n for n in dir(hookspecs.InstallSpecs) if n.startswith("ganforge_")}
        known |= {n for n in dir(self.pm.hook) if n.startswith("ganforge_")}
        for attr in dir(module):
            if attr.startswith("ganforge_") and attr not in known:
                obj = getattr(module, attr, None)
                if callable(obj) and hasattr(obj, hookspecs.PROJECT + "_impl"):
                    return (f"implements hook {attr!r} which ganforge {__version__} "
                            f"(plugin API {API_VERSION[0]}.{API_VERSION[1]}) does not define")
        return None

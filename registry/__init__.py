"""ganforge.registry: plugin discovery, the component registry, build-from-config.

The process-wide registry is built lazily on first use from the installed plugins and
the environment (``GANFORGE_PLUGINS``, ``GANFORGE_DISABLE_PLUGIN_AUTOLOAD``); the CLI
and the trainer call `load` with their options instead. Tests use `use_registry`.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Iterable, Iterator

from ganforge.condition import install_field_table
from ganforge.errors import PluginError
from ganforge.interfaces import DataInfo

from . import build as _build
from .components import Registrar, Registry, build_registry
from .discovery import ENV_NO_AUTOLOAD, ENV_PLUGINS, Discovery, new_plugin_manager
from .records import ComponentRecord, PluginInfo

__all__ = [
    "ComponentRecord", "PluginInfo", "Registrar", "Registry", "Discovery", "load", "get_registry",
    "set_registry", "use_registry", "build", "resolve", "check_requirements", "new_plugin_manager",
]

_current: Registry | None = None


# Sources a user names explicitly: a failure there is an error, not a warning.
REQUESTED_BY = {"env": ENV_PLUGINS, "option": "--plugin", "config": "the config"}


def load(plugins: Iterable[str] = (), disabled: Iterable[str] = (), strict: bool = False,
         autoload: bool | None = None, objects: Iterable[tuple[str, object]] = (),
         make_current: bool = True, source: str = "option") -> Registry:
    """Discover plugins and build a registry, and (with ``make_current``) make it the current one.

    :param plugins: extra local plugins (module names or ``.py`` paths): ``--plugin``.
    :param disabled: names blocked with ``-p no:NAME``.
    :param strict: raise `PluginError` on any failed plugin or name conflict.
    :param autoload: load entry points; default: unless ``GANFORGE_DISABLE_PLUGIN_AUTOLOAD``.
    :param objects: (name, module-or-object) pairs registered directly.
    :param make_current: False builds a registry to activate later with `use_registry`,
        leaving the current one in place.
    :param source: where ``plugins`` came from (``"option"`` or ``"config"``), for errors.

    A plugin requested explicitly (``plugins``, ``GANFORGE_PLUGINS``) that fails to load
    raises `PluginError`; a failing entry point is recorded and the others keep working.
    """
    if autoload is None:
        autoload = not os.environ.get(ENV_NO_AUTOLOAD)
    discovery = Discovery(disabled)
    if autoload:
        discovery.load_entrypoints()
    discovery.load_local(os.environ.get(ENV_PLUGINS, "").split(","), "env")
    discovery.load_local(plugins, source)
    for name, obj in objects:
        discovery.add_object(obj, name)
    registry = build_registry(discovery, strict=strict)
    failed = [p for p in registry.failed_plugins() if p.source in REQUESTED_BY]
    if failed:
        raise PluginError("; ".join(f"plugin {_label(p)} requested by {REQUESTED_BY[p.source]} "
                                    f"{p.status}: {p.error}" for p in failed))
    if make_current:
        set_registry(registry)
    return registry


def _label(info: PluginInfo) -> str:
    """'name' and, when the user gave a path or another module name, that too."""
    ref = info.module
    if ref and ref != info.name and not ref.startswith("ganforge_local_"):
        return f"{info.name!r} ({ref})"
    return repr(info.name)


def get_registry() -> Registry:
    """The current registry, loading the default one on first use."""
    return _current if _current is not None else load()


def set_registry(registry: Registry) -> None:
    global _current
    _current = registry
    install_field_table(registry.fields)


@contextlib.contextmanager
def use_registry(registry: Registry) -> Iterator[Registry]:
    """Make ``registry`` current inside the block (tests, embedding applications)."""
    global _current
    previous = _current
    set_registry(registry)
    try:
        yield registry
    finally:
        _current = previous
        if previous is not None:
            install_field_table(previous.fields)


def build(kind: str, spec: Any, data: DataInfo | None = None, **kwargs: Any):
    """Build a component from a name, a ``{type: ..., **params}`` dict, or a params model.

    >>> norm = ganforge.build("normalizer", {"type": "spade", "nhidden": 64}, data, num_features=128)

    :param kind: one of ganforge.KINDS.
    :param spec: what to build.
    :param data: the run's `DataInfo` (what the condition provides, label_nc, ...).
    :param kwargs: ``path=`` the config path for errors, ``expect=`` a required base class
        (e.g. `AdversarialLoss`), ``check=False`` to skip the Condition check, and the
        component's runtime arguments (``num_features=`` for a normalizer).
    """
    return _build.build(get_registry(), kind, spec, data, **kwargs)


def resolve(kind: str, spec: Any, path: str | None = None):
    """(record, validated params) of a spec without building it."""
    return _build.resolve(get_registry(), kind, spec, path)


def check_requirements(kind: str, spec: Any, data: DataInfo, path: str | None = None) -> None:
    """Raise `ConditionMismatch` if the spec tree needs fields ``data`` lacks."""
    _build.check_requirements(get_registry(), kind, spec, data, path)

"""The component registry: built once from the plugins' `ganforge_register` hooks.

Registration happens only through the hook (never as an import side effect), one plugin
at a time, so a plugin that registers something invalid is reported and dropped whole
while the others stay. The result is an immutable `Registry`.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import inspect
import re
from types import MappingProxyType
from typing import Callable, Iterable

from pydantic import BaseModel

from ganforge.condition import FieldSpec, FieldTable, field_table
from ganforge.errors import AmbiguousComponent, ComponentNotFound, PluginError
from ganforge.interfaces import BASES, KINDS
from ganforge.weights import WeightsFile

from .discovery import Discovery, _short_error
from .records import ComponentRecord, ImporterRecord, PluginInfo

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class Registrar:
    """The ``register`` callback a plugin's `ganforge_register` receives.

    ``register(kind, name, cls, *, params=None, summary=None, paper="")`` adds one
    component; ``register.condition_field(FieldSpec(...))`` adds a Condition field;
    ``register.weights_file(WeightsFile(...))`` declares a pretrained file it can use;
    ``register.importer(name, function, summary)`` an importer of official checkpoints.
    """

    def __init__(self, plugin: PluginInfo):
        self._plugin = plugin
        self.records: list[ComponentRecord] = []
        self.fields: list[FieldSpec] = []
        self.weights_files: list[WeightsFile] = []
        self.importers: list[ImporterRecord] = []

    def __call__(self, kind: str, name: str, cls: type, *, params: type[BaseModel] | None = None,
                 summary: str | None = None, paper: str = "") -> None:
        where = f"plugin {self._plugin.name!r} registering {kind} {name!r}"
        if kind not in KINDS:
            raise PluginError(f"{where}: unknown kind; kinds are {', '.join(KINDS)}")
        if not NAME_RE.match(name):
            raise PluginError(f"{where}: names are lower case letters, digits and '_', starting with a letter")
        if not (inspect.isclass(cls) and issubclass(cls, BASES[kind])):
            raise PluginError(f"{where}: {cls!r} is not a subclass of ganforge.{BASES[kind].__name__}")
        params = params or cls.Params
        if not (inspect.isclass(params) and issubclass(params, BaseModel)):
            raise PluginError(f"{where}: params must be a pydantic model class, got {params!r}")
        if summary is None:
            summary = (inspect.getdoc(cls) or "").strip().splitlines()[0:1]
            summary = summary[0] if summary else ""
        if any(r.kind == kind and r.name == name for r in self.records):
            raise PluginError(f"{where}: registered twice by the same plugin")
        self.records.append(ComponentRecord(kind, name, cls, params, summary, paper, self._plugin.name,
                                            self._plugin.distribution, self._plugin.version))

    def condition_field(self, spec: FieldSpec) -> None:
        if not isinstance(spec, FieldSpec):
            raise PluginError(f"plugin {self._plugin.name!r}: condition_field takes a ganforge.FieldSpec")
        self.fields.append(spec)

    def importer(self, name: str, function: Callable, summary: str) -> None:
        """Add ``ganforge import NAME``: ``function(files, models) -> ganforge.official.Imported``."""
        where = f"plugin {self._plugin.name!r} registering importer {name!r}"
        if not NAME_RE.match(name):
            raise PluginError(f"{where}: names are lower case letters, digits and '_', starting with a letter")
        if not callable(function):
            raise PluginError(f"{where}: {function!r} is not callable")
        self.importers.append(ImporterRecord(name, function, summary, self._plugin.name))

    def weights_file(self, spec: WeightsFile) -> None:
        if not isinstance(spec, WeightsFile):
            raise PluginError(f"plugin {self._plugin.name!r}: weights_file takes a ganforge.weights.WeightsFile")
        self.weights_files.append(spec)


def merge_weights_files(known: dict[str, WeightsFile], new: Iterable[WeightsFile], plugin: str) -> dict[str, WeightsFile]:
    """``known`` plus ``new``: one file registered by several plugins (the same URL and hash)
    is listed once with every user; the same name for another file is the plugin's error."""
    merged = dict(known)
    for wf in new:
        old = merged.get(wf.name)
        if old is None:
            merged[wf.name] = wf
        elif (old.url, old.filename, old.sha256, old.hash_prefix) == (wf.url, wf.filename, wf.sha256, wf.hash_prefix):
            if wf.used_by not in old.used_by:
                merged[wf.name] = dataclasses.replace(old, used_by=f"{old.used_by}; {wf.used_by}")
        else:
            raise PluginError(f"plugin {plugin!r}: weights file {wf.name!r} is already registered for another "
                              f"file ({old.url or old.filename})")
    return merged


class Registry:
    """An immutable view of every registered component and every discovered plugin."""

    def __init__(self, records: Iterable[ComponentRecord], plugins: Iterable[PluginInfo],
                 fields: FieldTable, pluginmanager=None, importers: Iterable[ImporterRecord] = (),
                 weights_files: dict[str, WeightsFile] | None = None):
        by_key: dict[tuple[str, str], list[ComponentRecord]] = {}
        for r in records:
            by_key.setdefault((r.kind, r.name), []).append(r)
        self._by_key = MappingProxyType({k: tuple(v) for k, v in by_key.items()})
        self.plugins: tuple[PluginInfo, ...] = tuple(plugins)
        self.fields = fields
        self.pluginmanager = pluginmanager
        self.importers: tuple[ImporterRecord, ...] = tuple(sorted(importers, key=lambda r: (r.name, r.plugin)))
        self.weights_files = MappingProxyType(dict(weights_files or {}))

    # -- queries ---------------------------------------------------------------------
    def records(self, kind: str | None = None, pattern: str | None = None) -> list[ComponentRecord]:
        """Every record, optionally of one kind and matching a wildcard (``spade*``)."""
        out = [r for recs in self._by_key.values() for r in recs
               if (kind is None or r.kind == kind) and (pattern is None or fnmatch.fnmatch(r.name, pattern))]
        return sorted(out, key=lambda r: (KINDS.index(r.kind), r.name, r.plugin))

    def names(self, kind: str) -> list[str]:
        return sorted({n for (k, n) in self._by_key if k == kind})

    def conflicts(self) -> list[tuple[ComponentRecord, ...]]:
        return [recs for recs in self._by_key.values() if len(recs) > 1]

    def get(self, kind: str, name: str) -> ComponentRecord:
        """The record for ``name`` or ``plugin/name``; errors name alternatives."""
        if kind not in KINDS:
            raise ComponentNotFound(f"unknown component kind {kind!r}; kinds are {', '.join(KINDS)}")
        plugin = None
        if "/" in name:
            plugin, name = name.split("/", 1)
        recs = self._by_key.get((kind, name), ())
        if plugin is not None:
            recs = tuple(r for r in recs if r.plugin == plugin)
        if len(recs) == 1:
            return recs[0]
        if len(recs) > 1:
            listed = "; ".join(f"{r.origin()} -> use '{r.qualified_name}'" for r in recs)
            raise AmbiguousComponent(f"{kind} {name!r} is registered by {len(recs)} plugins: {listed}")
        known = self.names(kind)
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        where = f" from plugin {plugin!r}" if plugin else ""
        failed = self.failed_plugins()
        if failed:
            listed = ", ".join(f"{p.name} ({p.status}: {p.error})" for p in failed)
            tail = f" Plugins that failed to load and might provide it: {listed}."
        else:
            tail = " `ganforge plugins` shows which plugins loaded."
        raise ComponentNotFound(
            f"no {kind} named {name!r}{where}.{hint} Registered {kind}s: {', '.join(known) or 'none'}.{tail}"
        )

    def find_by_params(self, kind: str, params_cls: type) -> ComponentRecord:
        recs = [r for r in self.records(kind) if r.params is params_cls]
        if len(recs) == 1:
            return recs[0]
        label = params_cls.__qualname__
        if not recs:
            raise ComponentNotFound(f"no {kind} uses params model {label}")
        names = ", ".join(repr(r.name) for r in recs)
        raise AmbiguousComponent(f"{kind}s {names} share params model {label}; pass {{'type': name, ...}} instead")

    def importer(self, name: str) -> ImporterRecord:
        """The importer ``name`` (``ganforge import NAME``); errors list the installed ones."""
        found = [r for r in self.importers if r.name == name]
        if len(found) > 1:
            raise AmbiguousComponent(f"importer {name!r} is registered by plugins "
                                     + " and ".join(repr(r.plugin) for r in found))
        if not found:
            known = sorted({r.name for r in self.importers})
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ComponentNotFound(f"no importer {name!r}{hint} Installed importers: {', '.join(known) or 'none'}")
        return found[0]

    def failed_plugins(self) -> list[PluginInfo]:
        return [p for p in self.plugins if p.status in ("failed", "incompatible")]


def build_registry(discovery: Discovery, strict: bool = False) -> Registry:
    """Call every plugin's `ganforge_register` and freeze the result.

    In strict mode any failed or incompatible plugin, and any name conflict, raises
    `PluginError`; otherwise they are recorded for ``ganforge plugins`` to show.
    """
    pm = discovery.pm
    records: list[ComponentRecord] = []
    importers: list[ImporterRecord] = []
    table = field_table()
    weights_files: dict[str, WeightsFile] = {}
    infos = dict(discovery.infos)
    for impl in pm.hook.ganforge_register.get_hookimpls():
        info = infos.get(impl.plugin_name)
        if info is None or info.status != "ok":
            continue
        registrar = Registrar(info)
        try:
            impl.function(register=registrar)
            new_table = table.with_fields(tuple(registrar.fields), {f.name: info.name for f in registrar.fields})
            weights_files = merge_weights_files(weights_files, registrar.weights_files, info.name)
            table = new_table
        except BaseException as exc:  # noqa: BLE001 - one bad plugin must not lock users out
            if isinstance(exc, KeyboardInterrupt):
                raise
            infos[info.name] = dataclasses.replace(info, status="failed", error=_short_error(exc))
            pm.unregister(name=info.name)
            continue
        records.extend(registrar.records)
        importers.extend(registrar.importers)
        infos[info.name] = dataclasses.replace(info, components=len(registrar.records))
    registry = Registry(records, infos.values(), table, pm, importers, weights_files)
    if strict:
        problems = [f"plugin {p.name} ({p.distribution or 'local'} {p.version or ''}) {p.status}: {p.error}"
                    for p in registry.failed_plugins()]
        for recs in registry.conflicts():
            problems.append(f"{recs[0].kind} {recs[0].name!r} registered by " +
                            " and ".join(r.origin() for r in recs))
        if problems:
            raise PluginError("strict plugin loading failed:\n  " + "\n  ".join(problems))
    return registry

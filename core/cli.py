"""The ``ganforge`` command line.

Global options come before the command: ``--plugin MODULE_OR_FILE`` (repeatable),
``-p no:NAME`` to switch a plugin off, ``--strict`` to fail on any plugin problem.
Discovery imports every plugin (and what they import: torchvision, ``torch._dynamo`` ...),
so the CLI answers from a snapshot of it (`ganforge.registry.cache`) when it can:
``--help``, ``--version``, ``plugins``, ``components``, ``describe`` and ``schema`` import no
plugin module, and the other commands (``train``, a plugin's ``ganforge_cli`` group) load
the registry when they run. A plugin that fails is reported by ``ganforge plugins`` while
every command keeps working for the others; so does one whose ``ganforge_cli`` hook raises
or would replace a core command (status 'commands failed'; the core command is kept).

Command groups are named in kebab case (``stargan-v2``, ``image2stylegan-pp``); the old
snake-case spellings still work, with a deprecation note, until the next release.
An installed plugin that fails to load is named in one stderr line by every command
(``ganforge plugins`` shows the details); one requested with ``--plugin`` or
``GANFORGE_PLUGINS`` is an error.
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import json
import os
import sys
import typing
import warnings
from typing import Any, Sequence

import click

from . import registry as _registry
from .errors import GanforgeError, GanforgeWarning, PluginError
from .interfaces import KINDS, slot_kind


def _global_options(argv: Sequence[str]) -> tuple[list[str], list[str], bool]:
    """Pre-scan argv for plugin options (pytest's way): they decide which commands exist."""
    plugins, disabled, strict = [], [], False
    it = iter(argv)
    for arg in it:
        if arg == "--strict":
            strict = True
        elif arg == "--plugin":
            plugins.append(next(it, ""))
        elif arg.startswith("--plugin="):
            plugins.append(arg.split("=", 1)[1])
        elif arg == "-p" or (arg.startswith("-p") and len(arg) > 2 and not arg.startswith("--")):
            value = next(it, "") if arg == "-p" else arg[2:]
            if value.startswith("no:"):
                disabled.append(value[3:])
            else:
                plugins.append(value)
    return plugins, disabled, strict


class LazyGroup(click.Group):
    """A group whose commands other than the eager ones are known by name and help text
    (from the snapshot) and added by `_load_commands` only when one of them runs."""

    lazy: dict[str, str] = {}  # name -> short help

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name not in self.lazy and "_" in name:
            new = name.replace("_", "-")
            if new in self.commands or new in self.lazy:
                click.echo(f"note: `ganforge {name}` is deprecated and goes in the next release; "
                           f"use `ganforge {new}`", err=True)
                name = new
        if name not in self.commands and name in self.lazy:
            _load_commands()
        return self.commands.get(name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names), default=0)
        for name in names:
            cmd = self.commands.get(name)
            if cmd is not None and cmd.hidden:
                continue
            text = cmd.get_short_help_str(limit) if cmd is not None else _shorten(self.lazy[name], limit)
            rows.append((name, text))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _shorten(text: str, limit: int) -> str:
    """``text`` cut at a word to ``limit`` characters with '...', as click shortens help."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 3, 1)].rsplit(" ", 1)[0]
    return cut.rstrip(" .,;:") + "..."


_state: dict[str, Any] = {"options": ((), (), False), "snapshot": None, "loaded": False}


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--plugin", "plugin_refs", multiple=True, metavar="MODULE_OR_FILE",
              help="Load a local plugin (a module name or a .py file).")
@click.option("-p", "plugin_flags", multiple=True, metavar="no:NAME", help="Disable the plugin NAME.")
@click.option("--strict", is_flag=True, help="Fail on any plugin that does not load or conflicts.")
@click.version_option(package_name="ganforge")
def cli(plugin_refs: tuple[str, ...], plugin_flags: tuple[str, ...], strict: bool) -> None:
    """ganforge: image-synthesis papers as plugins whose components mix across papers."""


def _echo_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, sort_keys=False, default=str))


def _table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins(as_json: bool) -> None:
    """List discovered plugins with their status (ok, failed, disabled, incompatible, commands failed)."""
    snap = summary()
    plugins, conflicts = snap["plugins"], snap["conflicts"]
    if as_json:
        _echo_json({"plugins": plugins, "conflicts": conflicts})
        return
    rows = [[p["name"], p["distribution"] or "(local)", p["version"] or "", p["status"], str(p["components"])]
            for p in plugins]
    _table(rows, ["NAME", "DISTRIBUTION", "VERSION", "STATUS", "COMPONENTS"])
    for p in plugins:
        if p["status"] in ("failed", "incompatible", "commands failed"):
            click.echo(f"\n{p['name']} {p['status']}: {p['error']}", err=True)
    for p in plugins:
        for w in p["warnings"]:
            click.echo(f"\nwarning: plugin {p['name']}: {w}", err=True)
    for c in conflicts:
        names = ", ".join(f"{x['use']} ({x['distribution'] or 'local'} {x['version'] or ''})" for x in c["providers"])
        click.echo(f"\nconflict: {c['kind']} {c['name']!r} is registered by {names}", err=True)


PLURALS = {("strategies" if k == "strategy" else "losses" if k == "loss" else f"{k}s"): k for k in KINDS}


class KindType(click.Choice):
    """A component kind, singular or plural (``normalizer`` or ``normalizers``)."""

    def __init__(self) -> None:
        super().__init__(KINDS)

    def convert(self, value: Any, param: Any, ctx: Any) -> str:
        if isinstance(value, str) and value not in KINDS:
            value = PLURALS.get(value, value)
        return super().convert(value, param, ctx)


@cli.command()
@click.argument("kind", required=False, metavar="[KIND]")
@click.argument("pattern", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def components(kind: str | None, pattern: str | None, as_json: bool) -> None:
    """List registered components, optionally of one KIND (singular or plural), matching a
    wildcard PATTERN; ``components 'lab_*'`` matches across every kind."""
    if kind is not None:
        kind = PLURALS.get(kind, kind)
        if kind not in KINDS:
            if pattern is not None:
                raise click.BadParameter(f"{kind!r} is not a kind ({', '.join(KINDS)})", param_hint="KIND")
            kind, pattern = None, kind
    recs = [r for r in summary()["components"]
            if (kind is None or r["kind"] == kind) and (pattern is None or fnmatch.fnmatch(r["name"], pattern))]
    if as_json:
        _echo_json(recs)
        return
    _table([[r["kind"], r["name"], r["plugin"], r["version"] or "", r["summary"]] for r in recs],
           ["KIND", "NAME", "PLUGIN", "VERSION", "SUMMARY"])


def describe_record(record, given: dict[str, Any] | None = None) -> dict[str, Any]:
    """Params (type, Literal choices, default, doc, nested kind), needs and provides of one
    component; a recipe's networks and optimisers; a dataset's fields given its params
    (``given`` overrides its defaults)."""
    params = []
    for name, f in record.params.model_fields.items():
        default = None if f.is_required() else (f.get_default(call_default_factory=True))
        if hasattr(default, "model_dump"):
            default = default.model_dump()
        params.append({"name": name, "type": _type_name(f.annotation), "choices": _choices(f.annotation),
                       "required": f.is_required(), "default": default, "doc": f.description or "",
                       "component_kind": slot_kind(record.params, name)})
    info = {"kind": record.kind, "name": record.name, "plugin": record.plugin,
            "distribution": record.distribution, "version": record.version, "summary": record.summary,
            "paper": record.paper, "class": f"{record.cls.__module__}.{record.cls.__qualname__}",
            "params": params, "requires": sorted(record.cls.requires), "provides": sorted(record.cls.provides)}
    if record.kind == "strategy":
        optional = getattr(record.cls, "optional_networks", frozenset())
        info["networks"] = [{"role": role, "kind": kind, "optional": role in optional}
                            for role, kind in getattr(record.cls, "networks", {}).items()]
        info["optimizers"] = {name: list(roles) for name, roles in getattr(record.cls, "optimizers", {}).items()}
    if record.kind == "dataset":
        info["provides"] = _dataset_fields(record, given or {}) or info["provides"]
    return info


def _dataset_fields(record, given: dict[str, Any]) -> list[str] | None:
    """The Condition fields the dataset gives with these params (its ``describe``), or None
    when it cannot say without its files. A required ``root`` is a placeholder: describing
    reads no file."""
    describe = getattr(record.cls, "describe", None)
    if not callable(describe):
        return None
    fields = record.params.model_fields
    placeholder = {"root": "."} if "root" in fields and fields["root"].is_required() else {}
    try:
        data = describe(record.params.model_validate({**placeholder, **given}))
    except Exception:  # noqa: BLE001 - params the defaults cannot describe: say nothing
        return None
    return sorted(data.fields) if data is not None else None


def _choices(annotation: Any) -> list[Any] | None:
    """The values of a ``Literal`` (also inside ``X | None`` or ``tuple[Literal, ...]``)."""
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    for arg in typing.get_args(annotation):
        found = _choices(arg)
        if found:
            return found
    return None


def _type_name(annotation: Any) -> str:
    if typing.get_origin(annotation) is typing.Literal:
        return "Literal[" + ", ".join(repr(a) for a in typing.get_args(annotation)) + "]"
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


@cli.command()
@click.argument("kind", type=KindType())
@click.argument("name")
@click.option("--set", "given", multiple=True, metavar="KEY=VALUE",
              help="A dataset's params: the fields it provides with them (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def describe(kind: str, name: str, given: tuple[str, ...], as_json: bool) -> None:
    """Show a component's params (types, choices, defaults, docs), what it needs and
    provides, a recipe's networks and optimisers, a dataset's fields."""
    info = summary()["describe"].get(f"{kind}:{name}") if not given else None
    if info is None:  # a qualified or ambiguous name, params given, or an error to report
        from .config import apply_overrides

        info = describe_record(registry().get(kind, name), apply_overrides({}, given))
    if as_json:
        _echo_json(info)
        return
    click.echo(f"{info['kind']} {info['name']}  ({info['plugin']} {info['version'] or ''})".rstrip())
    click.echo(f"  {info['summary']}")
    if info["paper"]:
        click.echo(f"  paper: {info['paper']}")
    click.echo(f"  class: {info['class']}")
    click.echo(f"  requires: {', '.join(info['requires']) or '-'}   provides: {', '.join(info['provides']) or '-'}")
    if "networks" in info:
        roles = [f"{n['role']} ({n['kind']}{', optional' if n['optional'] else ''})" for n in info["networks"]]
        click.echo(f"  networks: {', '.join(roles) or '-'}")
        opts = [f"{o} ({', '.join(r)})" for o, r in info["optimizers"].items()]
        click.echo(f"  optimisers: {', '.join(opts) or '-'}")
    click.echo("  params:")
    for p in info["params"]:
        kind_note = f" [{p['component_kind']}]" if p["component_kind"] else ""
        if p["choices"]:
            kind_note += f" (choices: {', '.join(json.dumps(c) for c in p['choices'])})"
        default = "required" if p["required"] else f"default {json.dumps(p['default'], default=str)}"
        click.echo(f"    {p['name']}: {p['type']}{kind_note} = {default}")
        if p["doc"]:
            click.echo(f"        {p['doc']}")


@cli.command()
@click.argument("kind", type=click.Choice(("discriminator", "encoder", "generator", "normalizer", "upsampler")))
@click.argument("name")
@click.option("--base", "bases", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A config to mix into (repeatable; default: each shipped plugin's synthetic config).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def compat(kind: str, name: str, bases: tuple[str, ...], as_json: bool) -> None:
    """Which recipes a component combines with, in which slots, and the config check's
    reason where it does not (docs/mixing.md has the matrix)."""
    from pathlib import Path

    from .compat import compat as rows

    registry()
    result = rows(kind, name, [Path(b) for b in bases] if bases else None)
    if as_json:
        _echo_json(result)
        return
    for entry in result:
        click.echo(f"{entry['base']} ({entry['recipe']}):" + ("" if entry["slots"] else f" no {kind} slot"))
        for s in entry["slots"]:
            click.echo(f"  {s['slot']}: " + ("ok" if s["ok"] else f"no: {s['reason']}"))


@cli.command()
@click.option("--out", type=click.Path(dir_okay=False), help="Write the schema to this file (atomically).")
def schema(out: str | None) -> None:
    """Print the JSON Schema of an experiment config with every installed component
    (point an editor at it: docs/cli.md)."""
    write_json(summary()["schema"], out)


def write_json(obj: Any, out: str | None) -> None:
    """``obj`` as indented JSON on stdout, or written atomically to ``out``."""
    if out is None:
        _echo_json(obj)
        return
    from .files import atomic_write_bytes

    atomic_write_bytes(out, (json.dumps(obj, indent=2) + "\n").encode())
    click.echo(f"wrote {out}")


@cli.command("new-plugin")
@click.argument("name")
@click.option("--dir", "directory", default=".", type=click.Path(file_okay=False),
              help="Where to create the plugin folder.")
@click.option("--kind", default="normalizer", show_default=True,
              type=click.Choice(["normalizer", "strategy", "metric", "dataset"]),
              help="The kind of the working component the plugin starts with.")
def new_plugin(name: str, directory: str, kind: str) -> None:
    """Create an installable plugin package NAME with one working component of KIND and tests."""
    from .scaffold import create_plugin

    root = create_plugin(name, directory, kind)
    click.echo(f"created {root}\nnext: pip install -e {root} && pytest {root / 'tests'}")


def registry() -> _registry.Registry:
    """The registry with the command line's plugin options (loaded on first use)."""
    if not _state["loaded"]:
        plugins_opt, disabled, strict = _state["options"]
        _registry.load(plugins=plugins_opt, disabled=disabled, strict=strict)
        _state["loaded"] = True
    return _registry.get_registry()


def _load_commands(group: click.Group | None = None) -> None:
    """Add the built-in commands that import torch-heavy modules and every plugin's."""
    group = group or cli
    if group is cli and getattr(cli, "_all_added", False):
        return
    reg = registry()
    _add_builtin_commands(group)
    problems = _add_plugin_commands(reg, group)
    if group is cli:
        cli._all_added = True
        _state["problems"] = problems
        if problems and _state["options"][2]:
            name, problem = next(iter(problems.items()))
            raise PluginError(f"plugin {name!r} {problem}")


def _add_builtin_commands(group: click.Group) -> None:
    from . import cli_train, cli_weights
    from .backbones import cli as backbones_cli

    cli_train.add_commands(group)
    cli_weights.add_commands(group)
    backbones_cli.add_commands(group)


def _add_plugin_commands(reg: _registry.Registry, group: click.Group) -> dict[str, str]:
    """Each plugin's ``ganforge_cli`` hook, isolated; returns plugin name -> what went wrong.
    A hook that raises, or that replaces a core command (the core's is put back: a plugin
    cannot silently change what ``sample`` does), is a problem: its plugin's status becomes
    'commands failed', every command warns, ``--strict`` fails."""
    problems: dict[str, str] = {}
    pm = reg.pluginmanager
    if pm is None:
        return problems
    core = dict(group.commands)
    for impl in pm.hook.ganforge_cli.get_hookimpls():
        try:
            impl.function(group=group)
        except Exception as exc:  # noqa: BLE001
            problems[impl.plugin_name] = f"failed to add commands: {type(exc).__name__}: {exc}"
        replaced = sorted(name for name, cmd in core.items() if group.commands.get(name) is not cmd)
        if replaced:
            group.commands.update({name: core[name] for name in replaced})
            problems[impl.plugin_name] = (f"replaced the core command{'s' if len(replaced) > 1 else ''} "
                                          f"{', '.join(replaced)} (the core's is kept)")
    return problems


def _scan_commands(reg: _registry.Registry) -> tuple[dict[str, str], dict[str, str]]:
    """Every command's short help and the plugins' command problems, from a scratch group
    (run once per registry: the snapshot holds both)."""
    if _state.get("scan", (None,))[0] is not reg:
        scratch = click.Group()
        _add_builtin_commands(scratch)
        problems = _add_plugin_commands(reg, scratch)
        helps = {name: cmd.get_short_help_str(10_000) for name, cmd in scratch.commands.items() if not cmd.hidden}
        _state["scan"] = (reg, helps, problems)
    return _state["scan"][1], _state["scan"][2]


def _commands(reg: _registry.Registry) -> dict[str, str]:
    return _scan_commands(reg)[0]


def _plugins(reg: _registry.Registry) -> list[dict[str, Any]]:
    """Each plugin's record; one whose ``ganforge_cli`` failed is not 'ok' but 'commands failed'."""
    problems = _state.get("problems")  # set once the real group has its commands
    problems = _scan_commands(reg)[1] if problems is None else problems
    out = []
    for p in reg.plugins:
        info = p.to_json()
        if p.name in problems:
            info["commands_error"] = problems[p.name]
            if info["status"] == "ok":
                info.update(status="commands failed", error=problems[p.name])
        out.append(info)
    return out


def _schema(reg: _registry.Registry) -> dict[str, Any]:
    from .schema import experiment_schema

    return experiment_schema(reg)


SUMMARY_PARTS = {
    "plugins": _plugins,
    "conflicts": lambda reg: [{"kind": rs[0].kind, "name": rs[0].name,
                               "providers": [{"plugin": r.plugin, "distribution": r.distribution,
                                              "version": r.version, "use": r.qualified_name} for r in rs]}
                              for rs in reg.conflicts()],
    "components": lambda reg: [{"kind": r.kind, "name": r.name, "qualified_name": r.qualified_name,
                                "plugin": r.plugin, "distribution": r.distribution, "version": r.version,
                                "summary": r.summary, "paper": r.paper} for r in reg.records()],
    "describe": lambda reg: {f"{r.kind}:{r.name}": describe_record(r) for r in reg.records()
                             if len(reg.records(r.kind, r.name)) == 1},
    "schema": _schema,
    "commands": _commands,
}


def build_summary(reg: _registry.Registry, parts=SUMMARY_PARTS) -> dict[str, Any]:
    """What the fast commands show, as JSON data (the snapshot holds every part)."""
    return json.loads(json.dumps({name: make(reg) for name, make in parts.items()}, default=str))


class _Live(dict):
    """Without a snapshot: each part from the registry, when first asked for."""

    def __missing__(self, part: str) -> Any:
        self[part] = build_summary(registry(), {part: SUMMARY_PARTS[part]})[part]
        return self[part]


def summary() -> dict[str, Any]:
    """The snapshot when this invocation may use one, else the same parts from the registry."""
    if _state["snapshot"] is None:
        _state["snapshot"] = _Live()
    return _state["snapshot"]


def _warn_failed(plugins: list[dict[str, Any]], argv: Sequence[str]) -> None:
    """One stderr line per plugin that did not load, for every command but ``plugins``
    (which lists them itself): a missing component is then never a mystery."""
    if "plugins" in argv:
        return
    for p in plugins:
        if p["status"] in ("failed", "incompatible"):
            click.echo(f"warning: plugin {p['name']!r} ({p['distribution'] or 'local'}) {p['status']}: {p['error']}; "
                       "`ganforge plugins` lists every plugin", err=True)
        elif "commands_error" in p:
            click.echo(f"warning: plugin {p['name']!r} {p['commands_error']}", err=True)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """ganforge's own warnings as one ``warning: ...`` line on stderr (above a progress bar)."""
    if issubclass(category, GanforgeWarning):
        from tqdm import tqdm

        tqdm.write(f"warning: {message}", file=sys.stderr)
    else:
        _python_show_warning(message, category, filename, lineno, file, line)


_python_show_warning = warnings.showwarning


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``ganforge`` script."""
    from .registry import cache

    argv = list(sys.argv[1:] if argv is None else argv)
    warnings.showwarning = _show_warning
    warnings.simplefilter("always", GanforgeWarning)  # each is worth its line, even if said before
    plugins_opt, disabled, strict = _global_options(argv)
    _state.update(options=(plugins_opt, disabled, strict), snapshot=None, loaded=False, problems=None, scan=(None,))
    cli._all_added = False
    for name in [n for n in cli.commands if n not in BASE_COMMANDS]:
        del cli.commands[name]  # main() may run again in one process (tests)
    try:
        if cache.usable(plugins_opt, disabled) and not strict:
            _state["snapshot"] = cache.snapshot(lambda: build_summary(registry()))
            LazyGroup.lazy = dict(_state["snapshot"]["commands"])
        else:
            LazyGroup.lazy = {}
            _load_commands()
        _warn_failed(summary()["plugins"], argv)
        cli.main(args=argv, prog_name="ganforge", standalone_mode=False)
    except GanforgeError as exc:
        if not (getattr(exc, "said_by_every_rank", False) and os.environ.get("RANK", "0") != "0"):
            click.echo(f"error: {exc}", err=True)  # a stop all ranks agreed on is said once, by rank 0
        sys.exit(2)
    except OSError as exc:  # a file the OS refused (permissions, a full disk): name it, no traceback
        if exc.filename is None:
            raise
        click.echo(f"error: {exc.filename}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


BASE_COMMANDS = frozenset(cli.commands)

if __name__ == "__main__":  # pragma: no cover
    main()

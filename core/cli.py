"""The ``ganforge`` command line.

Global options come before the command: ``--plugin MODULE_OR_FILE`` (repeatable),
``-p no:NAME`` to switch a plugin off, ``--strict`` to fail on any plugin problem.
Plugins are loaded before the command line is parsed so that their ``ganforge_cli``
hooks can add commands. An installed plugin that fails to load is named in one stderr
line by every command (``ganforge plugins`` shows the details) while every command keeps
working for the others; one requested with ``--plugin`` or ``GANFORGE_PLUGINS`` is an error.
"""

from __future__ import annotations

import json
import sys
import typing
import warnings
from typing import Any, Sequence

import click

from . import registry as _registry
from .errors import GanforgeError, GanforgeWarning
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    """List discovered plugins with their status (ok, failed, disabled, incompatible)."""
    reg = _registry.get_registry()
    conflicts = [
        {"kind": recs[0].kind, "name": recs[0].name,
         "providers": [{"plugin": r.plugin, "distribution": r.distribution, "version": r.version,
                        "use": r.qualified_name} for r in recs]}
        for recs in reg.conflicts()
    ]
    if as_json:
        _echo_json({"plugins": [p.to_json() for p in reg.plugins], "conflicts": conflicts})
        return
    rows = [[p.name, p.distribution or "(local)", p.version or "", p.status, str(p.components)] for p in reg.plugins]
    _table(rows, ["NAME", "DISTRIBUTION", "VERSION", "STATUS", "COMPONENTS"])
    for p in reg.failed_plugins():
        click.echo(f"\n{p.name} {p.status}: {p.error}", err=True)
    for p in reg.plugins:
        for w in p.warnings:
            click.echo(f"\nwarning: plugin {p.name}: {w}", err=True)
    for c in conflicts:
        names = ", ".join(f"{x['use']} ({x['distribution'] or 'local'} {x['version'] or ''})" for x in c["providers"])
        click.echo(f"\nconflict: {c['kind']} {c['name']!r} is registered by {names}", err=True)


@cli.command()
@click.argument("kind", required=False, metavar="[KIND]")
@click.argument("pattern", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def components(kind: str | None, pattern: str | None, as_json: bool) -> None:
    """List registered components, optionally of one KIND, matching a wildcard PATTERN;
    ``components 'lab_*'`` matches across every kind."""
    if kind is not None and kind not in KINDS:
        if pattern is not None:
            raise click.BadParameter(f"{kind!r} is not a kind ({', '.join(KINDS)})", param_hint="KIND")
        kind, pattern = None, kind
    recs = _registry.get_registry().records(kind, pattern)
    if as_json:
        _echo_json([{"kind": r.kind, "name": r.name, "qualified_name": r.qualified_name, "plugin": r.plugin,
                     "distribution": r.distribution, "version": r.version, "summary": r.summary,
                     "paper": r.paper} for r in recs])
        return
    _table([[r.kind, r.name, r.plugin, r.version or "", r.summary] for r in recs],
           ["KIND", "NAME", "PLUGIN", "VERSION", "SUMMARY"])


def describe_record(record) -> dict[str, Any]:
    """Params (type, default, doc, nested kind), needs and provides of one component."""
    params = []
    for name, f in record.params.model_fields.items():
        default = None if f.is_required() else (f.get_default(call_default_factory=True))
        if hasattr(default, "model_dump"):
            default = default.model_dump()
        params.append({"name": name, "type": _type_name(f.annotation), "required": f.is_required(),
                       "default": default, "doc": f.description or "",
                       "component_kind": slot_kind(record.params, name), "choices": _choices(f.annotation)})
    return {"kind": record.kind, "name": record.name, "plugin": record.plugin,
            "distribution": record.distribution, "version": record.version, "summary": record.summary,
            "paper": record.paper, "class": f"{record.cls.__module__}.{record.cls.__qualname__}",
            "params": params, "requires": sorted(record.cls.requires), "provides": sorted(record.cls.provides)}


def _choices(annotation: Any) -> list[Any] | None:
    """The allowed values of a Literal, also inside Optional / list[...]; None otherwise."""
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    for arg in typing.get_args(annotation):
        found = _choices(arg)
        if found is not None:
            return found
    return None


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


@cli.command()
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def describe(kind: str, name: str, as_json: bool) -> None:
    """Show a component's params (types, defaults, docs) and what it needs and provides."""
    info = describe_record(_registry.get_registry().get(kind, name))
    if as_json:
        _echo_json(info)
        return
    click.echo(f"{info['kind']} {info['name']}  ({info['plugin']} {info['version'] or ''})".rstrip())
    click.echo(f"  {info['summary']}")
    if info["paper"]:
        click.echo(f"  paper: {info['paper']}")
    click.echo(f"  class: {info['class']}")
    click.echo(f"  requires: {', '.join(info['requires']) or '-'}   provides: {', '.join(info['provides']) or '-'}")
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
def schema() -> None:
    """Print the JSON Schema of an experiment config with every installed component."""
    from .schema import experiment_schema

    _echo_json(experiment_schema(_registry.get_registry()))


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


def _add_builtin_commands() -> None:
    from . import cli_train
    from .backbones import cli as backbones_cli

    cli_train.add_commands(cli)
    backbones_cli.add_commands(cli)


def _add_plugin_commands(reg: _registry.Registry) -> None:
    """Each plugin's ``ganforge_cli`` hook, isolated: a failing one is reported, not fatal."""
    pm = reg.pluginmanager
    if pm is None:
        return
    for impl in pm.hook.ganforge_cli.get_hookimpls():
        try:
            impl.function(group=cli)
        except Exception as exc:  # noqa: BLE001
            click.echo(f"warning: plugin {impl.plugin_name!r} failed to add commands: {exc}", err=True)


def _warn_failed(reg: _registry.Registry, argv: Sequence[str]) -> None:
    """One stderr line per plugin that did not load, for every command but ``plugins``
    (which lists them itself): a missing component is then never a mystery."""
    if "plugins" in argv:
        return
    for p in reg.failed_plugins():
        click.echo(f"warning: plugin {p.name!r} ({p.distribution or 'local'}) {p.status}: {p.error}; "
                   "`ganforge plugins` lists every plugin", err=True)


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
    argv = list(sys.argv[1:] if argv is None else argv)
    warnings.showwarning = _show_warning
    warnings.simplefilter("always", GanforgeWarning)  # each is worth its line, even if said before
    plugins_opt, disabled, strict = _global_options(argv)
    try:
        reg = _registry.load(plugins=plugins_opt, disabled=disabled, strict=strict)
        _warn_failed(reg, argv)
        _add_builtin_commands()
        _add_plugin_commands(reg)
        cli.main(args=argv, prog_name="ganforge", standalone_mode=False)
    except GanforgeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()

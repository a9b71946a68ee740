"""``ganforge weights list`` and ``ganforge weights fetch``: the pretrained files, opt-in downloads."""

from __future__ import annotations

import json
import sys

import click

from . import fetch as _fetch
from .errors import GanforgeError
from .weights import WeightsFile


def _row(wf: WeightsFile) -> dict:
    present = wf.path.is_file()
    return {"name": wf.name, "used_by": wf.used_by, "url": wf.url, "sha256": wf.sha256,
            "sha256_prefix": wf.hash_prefix, "size": wf.path.stat().st_size if present else wf.size,
            "path": str(wf.path), "present": present, "note": wf.note}


def _hash_text(wf: WeightsFile) -> str:
    if wf.sha256:
        return wf.sha256
    return f"{wf.hash_prefix}... (file name)" if wf.hash_prefix else "not published"


def add_commands(group: click.Group) -> None:
    """Add the ``weights`` group to ``group``."""

    @group.group()
    def weights() -> None:
        """Pretrained files ganforge can use: where each is looked for, and an opt-in download."""

    @weights.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    def list_(as_json: bool) -> None:
        """Every registered file: what uses it, URL, sha256, size, where it is looked for, present or not."""
        files = _fetch.known_files()
        if as_json:
            click.echo(json.dumps([_row(wf) for wf in files], indent=2))
            return
        for wf in files:
            row = _row(wf)
            size = f"{row['size']:,} bytes" if row["size"] else "size not published"
            click.echo(f"{wf.name}  [{'present' if row['present'] else 'missing'}]\n"
                       f"  used by: {wf.used_by}\n  path:    {row['path']}\n"
                       f"  url:     {wf.url or '(no download: ' + wf.note + ')'}\n"
                       f"  sha256:  {_hash_text(wf)}\n  size:    {size}")

    @weights.command("fetch")
    @click.argument("names", nargs=-1)
    @click.option("--all", "fetch_all", is_flag=True, help="Every file that has a download URL.")
    @click.option("--force", is_flag=True, help="Download again even when the file is present.")
    @click.option("--allow-unverified", is_flag=True,
                  help="Also download files with no published sha256 (their hash is printed).")
    @click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds without data before giving up.")
    def fetch_cmd(names: tuple[str, ...], fetch_all: bool, force: bool, allow_unverified: bool, timeout: float) -> None:
        """Download NAME... (or --all) into the torch hub checkpoints cache, where `weights: hub` looks.

        Each file is checked against its sha256 (or torch hub's prefix in its name) before it
        is renamed into place; a failed or wrong download leaves nothing behind."""
        if bool(names) == fetch_all:
            raise click.UsageError("give NAME... or --all (`ganforge weights list` shows the names)")
        files = [wf for wf in _fetch.known_files() if wf.url] if fetch_all else [_fetch.find(n) for n in names]
        failed = []
        for wf in files:
            if wf.path.is_file() and not force:
                click.echo(f"{wf.name}: present at {wf.path} (--force downloads it again)")
                continue
            if fetch_all and not _fetch.is_verifiable(wf) and not allow_unverified:
                click.echo(f"{wf.name}: skipped, no published sha256 (--allow-unverified downloads it)")
                continue
            try:
                path, digest = _fetch.fetch(wf, allow_unverified=allow_unverified, timeout=timeout,
                                            progress=_progress(wf.name) if sys.stderr.isatty() else None)
            except GanforgeError as exc:
                click.echo(f"error: {wf.name}: {exc}", err=True)
                failed.append(wf.name)
                continue
            checked = "sha256 checked" if _fetch.is_verifiable(wf) else "UNVERIFIED: no published hash"
            click.echo(f"{wf.name}: wrote {path} ({path.stat().st_size:,} bytes, sha256 {digest}, {checked})")
        if failed:
            raise _fetch.FetchError(f"{len(failed)} of {len(files)} downloads failed: {', '.join(failed)}")


def _progress(name: str):
    def show(done: int, total: int | None) -> None:
        of = f" / {total / 1e6:.1f}" if total else ""
        click.echo(f"\r{name}: {done / 1e6:.1f}{of} MB", nl=False, err=True)
        if total and done >= total:
            click.echo("", err=True)
    return show


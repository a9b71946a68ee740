"""Downloading a registered pretrained file, opt-in (``ganforge weights fetch``).

Nothing in ganforge downloads by itself: a missing file is an error naming this command.
The download streams into a temporary file beside the target while hashing; only a file
whose length and sha256 (or torch hub's sha256 prefix) check out is renamed into place, so
a dead server, a truncated transfer or a wrong file leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from ganforge.errors import GanforgeError
from ganforge.weights import WeightsFile

CHUNK = 1 << 20


class FetchError(GanforgeError):
    """A download that failed or did not verify; the target file is untouched."""


def known_files() -> list[WeightsFile]:
    """Every weights file the installed plugins registered, by name."""
    from ganforge.registry import get_registry

    return sorted(get_registry().weights_files.values(), key=lambda f: f.name)


def find(name: str) -> WeightsFile:
    files = {f.name: f for f in known_files()}
    if name not in files:
        raise FetchError(f"no weights file named {name!r}; known: {', '.join(sorted(files)) or 'none'} "
                         "(`ganforge weights list` shows them)")
    return files[name]


def verify(wf: WeightsFile, digest: str) -> str | None:
    """Why ``digest`` (a sha256) is not ``wf``'s file, or None when it is."""
    if wf.sha256 is not None and digest != wf.sha256:
        return f"sha256 {digest}, expected {wf.sha256}"
    if wf.sha256 is None and wf.hash_prefix is not None and not digest.startswith(wf.hash_prefix):
        return f"sha256 {digest} does not start with {wf.hash_prefix} (from the file name)"
    return None


def is_verifiable(wf: WeightsFile) -> bool:
    return wf.sha256 is not None or wf.hash_prefix is not None


def fetch(wf: WeightsFile, dest: Path | None = None, *, allow_unverified: bool = False, timeout: float = 60.0,
          progress: Callable[[int, int | None], None] | None = None) -> tuple[Path, str]:
    """Download ``wf`` to ``dest`` (default ``wf.path``) atomically; return the path and its sha256.

    Raises `FetchError` naming the URL and the reason; on any failure the temporary file is
    removed and an existing ``dest`` is left as it was.
    """
    if wf.url is None:
        raise FetchError(f"weights file {wf.name!r} has no download URL: {wf.note or 'make it by hand'}")
    if not is_verifiable(wf) and not allow_unverified:
        raise FetchError(f"weights file {wf.name!r} has no published sha256 to check it against; "
                         "`--allow-unverified` downloads it anyway and prints the hash it got")
    dest = Path(dest) if dest is not None else wf.path
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            digest, size = _download(wf.url, out, timeout, progress)
            out.flush()
            os.fsync(out.fileno())
        if wf.size is not None and size != wf.size:
            raise FetchError(f"{wf.url}: got {size} bytes, expected {wf.size}")
        problem = verify(wf, digest)
        if problem:
            raise FetchError(f"{wf.url}: {problem}; the file was not kept")
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest, digest


def _download(url: str, out, timeout: float, progress) -> tuple[str, int]:
    """Stream ``url`` into ``out``; the sha256 and byte count of what came. A body shorter
    than its Content-Length is an error (servers that drop the connection mid-way)."""
    h, size = hashlib.sha256(), 0
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "ganforge"}),
                                    timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            while chunk := resp.read(CHUNK):
                h.update(chunk)
                out.write(chunk)
                size += len(chunk)
                if progress:
                    progress(size, total)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise FetchError(f"{url}: cannot connect ({exc.reason})") from exc
    except (http.client.HTTPException, OSError) as exc:  # IncompleteRead, reset, timeout mid-body
        raise FetchError(f"{url}: download broke off after {size} bytes ({type(exc).__name__}: {exc})") from exc
    if total is not None and size != total:
        raise FetchError(f"{url}: download broke off after {size} of {total} bytes")
    return h.hexdigest(), size

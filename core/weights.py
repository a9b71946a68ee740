"""Reading weight files safely, finding pretrained ones offline, and naming what is wrong.

Every torch file ganforge opens (checkpoints, official releases, pretrained weights)
goes through `read_file`: ``torch.load(weights_only=True)`` (no code runs), and any
failure (missing, empty, damaged, a refused pickle global) is one `DataError` naming
the file. `load_checked` puts a state_dict into a module after listing every key that
is missing, unexpected or shaped differently. A weights spec is ``"none"`` (deterministic random init, for tests), ``"hub"`` (the torch
hub checkpoints cache, where ``torch.hub.load_state_dict_from_url`` would have saved the
official file) or a file path.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganforge.errors import ConfigError, DataError


class MissingWeights(ConfigError, FileNotFoundError):
    """A pretrained weight file is not where the config says; the message says where to put it."""


class MissingFile(DataError, FileNotFoundError):
    """A file given on the command line or in a config does not exist; the message says what it should be."""


def hub_checkpoints_dir() -> Path:
    """Where torch hub caches downloaded checkpoints (``$TORCH_HOME/hub/checkpoints``)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


#: torch hub's convention: ``name-<first hex digits of the sha256>.ext`` (torchvision's files)
HUB_HASH_RE = re.compile(r"-([a-f0-9]{8,})\.")


@dataclasses.dataclass(frozen=True)
class WeightsFile:
    """A pretrained file ganforge can use, as a plugin registers it with
    ``register.weights_file(WeightsFile(...))``; ``ganforge weights list`` shows them all
    and ``ganforge weights fetch NAME`` downloads one into `hub_checkpoints_dir`.

    ``sha256`` is the full published hash; without it, ``hash_prefix`` (torch hub's
    file-name convention) is checked; a file with neither is fetched only when the user
    accepts it unverified. ``url`` None: not downloadable as is, ``note`` says how to make it.
    """

    name: str
    url: str | None
    used_by: str
    filename: str = ""
    sha256: str | None = None
    hash_prefix: str | None = None
    size: int | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if not re.match(r"^[a-z][a-z0-9_]*$", self.name):
            raise ValueError(f"weights file name {self.name!r}: lower case letters, digits and '_'")
        if not self.filename:
            if not self.url:
                raise ValueError(f"weights file {self.name!r}: give a url or a filename")
            object.__setattr__(self, "filename", self.url.split("?", 1)[0].rsplit("/", 1)[-1])
        if self.sha256 is not None and not re.match(r"^[0-9a-f]{64}$", self.sha256):
            raise ValueError(f"weights file {self.name!r}: sha256 must be 64 lower-case hex digits")

    @classmethod
    def hub(cls, name: str, url: str, used_by: str, **kw) -> "WeightsFile":
        """A file named by torch hub's convention, its sha256 prefix read from the name."""
        found = HUB_HASH_RE.search(url.rsplit("/", 1)[-1])
        return cls(name, url, used_by, hash_prefix=found.group(1) if found else None, **kw)

    @property
    def path(self) -> Path:
        """Where `weights: hub` looks for it and where ``ganforge weights fetch`` writes it."""
        return hub_checkpoints_dir() / self.filename


def fetch_hint(name: str | None, hub: bool = True) -> str:
    """The sentence of a missing-file error that names the download command."""
    if not name:
        return ""
    where = "there" if hub else f"into {str(hub_checkpoints_dir())!r} (then set `weights: hub`)"
    return f" `ganforge weights fetch {name}` downloads it {where} and checks its hash."


_SHAPES_ONLY = contextvars.ContextVar("ganforge_shapes_only", default=False)


@contextlib.contextmanager
def shapes_only():
    """Inside, networks are built without reading pretrained weights (every spec reads as
    ``"none"``): `ganforge params` counts a config's networks before any file is downloaded."""
    token = _SHAPES_ONLY.set(True)
    try:
        yield
    finally:
        _SHAPES_ONLY.reset(token)


def loading_weights() -> bool:
    """False inside `shapes_only`: a loader of its own skips the file then."""
    return not _SHAPES_ONLY.get()


def resolve_weights(spec: str, url: str, what: str, fetch_name: str | None = None) -> Path | None:
    """The weight file for ``spec`` (None for ``"none"``, and inside `shapes_only`); a missing
    file is a `MissingWeights` naming the file from ``url``, the exact directory where it is
    looked for and the ``ganforge weights fetch`` command of the registered file ``fetch_name``."""
    if spec == "none" or not loading_weights():
        return None
    filename = url.rsplit("/", 1)[-1]
    path = hub_checkpoints_dir() / filename if spec == "hub" else Path(spec).expanduser()
    if not path.is_file():
        raise MissingWeights(
            f"{what}: weight file {str(path)!r} not found. Download {filename} from {url} and put it in "
            f"{str(path.parent)!r}" + (" (the torch hub checkpoints cache)" if spec == "hub" else "")
            + ", or set `weights` to its path; `weights: none` gives random weights for tests."
            + fetch_hint(fetch_name, spec == "hub"))
    return path


def read_file(path: str | os.PathLike, what: str, hint: str = "", safe_globals: tuple[type, ...] = (),
              map_location: str | torch.device = "cpu") -> Any:
    """The objects in the torch file ``path`` (``weights_only=True``; ``safe_globals`` are
    the only extra classes allowed). A missing, empty, unreadable or damaged file is a
    `DataError` naming the file and ``what`` it should be; ``hint`` says where to get one."""
    path = Path(path)
    where = f" ({hint})" if hint else ""
    if not path.is_file():
        raise MissingFile(f"{path}: no such file; expected {what}{where}")
    try:
        if path.stat().st_size == 0:
            raise DataError(f"{path}: empty file; expected {what}{where}")
        with torch.serialization.safe_globals(list(safe_globals)):
            return torch.load(path, map_location=map_location, weights_only=True)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unpickling or I/O problem is a bad file
        raise DataError(f"{path}: cannot be read as {what} ({_reason(exc)}){where}") from None


def _reason(exc: BaseException) -> str:
    """The informative part of a torch.load failure in one line (torch's own advice to load
    with ``weights_only=False`` is exactly what must not happen here)."""
    text = str(exc)
    found = re.search(r"Unsupported global: GLOBAL [\w.]+|Unsupported operand \d+|invalid load key[^.\n]*", text)
    if found:
        return found.group(0)
    lines = [line for line in text.splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0][:200]}" if lines else type(exc).__name__


def load_state_dict(path: str | os.PathLike, what: str, hint: str = "") -> dict[str, torch.Tensor]:
    """A state dict read with `read_file`; anything but a dict is a `DataError` naming the file."""
    state = read_file(path, what, hint)
    if not isinstance(state, dict):
        raise DataError(f"{path}: holds a {type(state).__name__}, not {what} (a state dict)")
    return state


def require_keys(state: Any, keys: tuple[str, ...], source: str, what: str) -> None:
    """A `DataError` naming ``source`` when the dict ``state`` lacks any of ``keys``."""
    missing = [k for k in keys if not isinstance(state, dict) or k not in state]
    if missing:
        found = ", ".join(map(str, state)) if isinstance(state, dict) else type(state).__name__
        raise DataError(f"{source}: not {what}: no {', '.join(repr(k) for k in missing)} (it has {found or 'nothing'})")


def load_checked(module: nn.Module, state_dict: Any, source: str, hint: str = "") -> None:
    """``module.load_state_dict(state_dict)`` after `check_layout`: a file that does not fit
    is a `ConfigError` listing its missing, unexpected and differently shaped keys."""
    if not isinstance(state_dict, dict):
        raise DataError(f"{source}: holds a {type(state_dict).__name__}, not a state dict")
    shape = lambda v: tuple(v.shape) if isinstance(v, torch.Tensor) else ()  # noqa: E731 - extra state has none
    check_layout({k: shape(v) for k, v in state_dict.items()},
                 {k: shape(v) for k, v in module.state_dict().items()}, source, type(module).__name__,
                 hint or "that the config matches the one the file was written with")
    module.load_state_dict(state_dict)


def file_sha256(path: Path) -> str:
    """Content hash of a weight file, memoised per (path, size, mtime)."""
    st = os.stat(path)
    return _sha256(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=32)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def random_init_(net: nn.Module, seed: int = 0) -> nn.Module:
    """Deterministic He-normal init for ``weights: none``: reproducible across processes
    (so cached statistics stay valid) and scale-preserving, so deep in the network the
    features still vary with the input."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu", generator=gen)
                if m.bias is not None:
                    m.bias.zero_()
    return net


def check_layout(given: dict[str, tuple[int, ...]], expected: dict[str, tuple[int, ...]], source: str, what: str,
                 hint: str) -> None:
    """Raise a ConfigError listing the keys of ``given`` (a file's names -> shapes) that are
    missing, unexpected or shaped differently from ``expected``; ``hint`` names the config
    fields that usually explain a mismatch."""
    missing = sorted(set(expected) - set(given))
    unexpected = sorted(set(given) - set(expected))
    wrong = [f"{k}: {tuple(shape)} in the file, {tuple(expected[k])} here"
             for k, shape in given.items() if k in expected and tuple(shape) != tuple(expected[k])]
    if not (missing or unexpected or wrong):
        return

    def few(keys: list[str]) -> str:
        return ", ".join(keys[:6]) + (" ..." if len(keys) > 6 else "")

    lines = ([f"missing: {few(missing)}"] if missing else []) + (
        [f"unexpected: {few(unexpected)}"] if unexpected else []) + wrong[:6]
    raise ConfigError(f"{source} does not fit this {what}:\n  " + "\n  ".join(lines) + f"\n  check {hint}")


def rename_checked(model: nn.Module, state_dict: dict[str, torch.Tensor], names: dict[str, str], source: str,
                   hint: str) -> dict[str, torch.Tensor]:
    """An official ``state_dict`` renamed for ``model`` (``names``: our key -> official key),
    after `check_layout` against the model's own shapes."""
    ours = {theirs: mine for mine, theirs in names.items()}
    mine = model.state_dict()
    check_layout({k: v.shape for k, v in state_dict.items()}, {theirs: mine[k].shape for k, theirs in names.items()},
                 source, type(model).__name__, hint)
    return {ours[k]: v for k, v in state_dict.items()}

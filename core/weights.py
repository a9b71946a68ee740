"""Finding pretrained weight files offline, and naming where to put them when absent.

A weights spec is ``"none"`` (deterministic random init, for tests), ``"hub"`` (the torch
hub checkpoints cache, where ``torch.hub.load_state_dict_from_url`` would have saved the
official file) or a file path.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import os
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

from ganforge.errors import ConfigError


class MissingWeights(ConfigError, FileNotFoundError):
    """A pretrained weight file is not where the config says; the message says where to put it."""


def hub_checkpoints_dir() -> Path:
    """Where torch hub caches downloaded checkpoints (``$TORCH_HOME/hub/checkpoints``)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


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


def resolve_weights(spec: str, url: str, what: str) -> Path | None:
    """The weight file for ``spec`` (None for ``"none"``, and inside `shapes_only`); a missing
    file is a `MissingWeights` naming the file from ``url`` and the exact directory where it
    is looked for."""
    if spec == "none" or not loading_weights():
        return None
    filename = url.rsplit("/", 1)[-1]
    path = hub_checkpoints_dir() / filename if spec == "hub" else Path(spec).expanduser()
    if not path.is_file():
        raise MissingWeights(
            f"{what}: weight file {str(path)!r} not found. Download {filename} from {url} and put it in "
            f"{str(path.parent)!r}" + (" (the torch hub checkpoints cache)" if spec == "hub" else "")
            + ", or set `weights` to its path; `weights: none` gives random weights for tests.")
    return path


def load_state_dict(path: Path, what: str) -> dict[str, torch.Tensor]:
    """A state dict from a trusted-format file (``weights_only=True``), with errors naming it."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - re-raised with the file named
        raise ConfigError(f"{what}: cannot read weights from {str(path)!r}: {exc}") from exc
    if not isinstance(state, dict):
        raise ConfigError(f"{what}: {str(path)!r} holds a {type(state).__name__}, not a state dict")
    return state


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


def check_layout(given: dict[str, torch.Size], expected: dict[str, torch.Size], source: str, what: str,
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

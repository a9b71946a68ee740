"""Weight files of the backbones: where they live, how they are written and read.

A weight file is self-describing: ``{"format", "network", "arch", "state_dict"}``, all
plain tensors, strings and numbers, so ``torch.load(weights_only=True)`` reads it and the
network is rebuilt from ``arch`` without a config. Files are written atomically; the
manifest next to them (``ganforge_synthetic_backbones.json``) records how they were made.

A weights spec is, as for the Inception weights (`ganforge.weights`): ``"hub"`` (the
torch hub checkpoints cache, the default output of ``ganforge backbones train``), a file
path, or ``"none"`` (deterministic random weights, for tests only).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganforge.errors import ConfigError
from ganforge.files import atomic_write, atomic_write_bytes
from ganforge.weights import MissingWeights, file_sha256, hub_checkpoints_dir, load_state_dict, random_init_

from .networks import FeatureNet, SegmenterNet

FORMAT = "ganforge-synthetic-backbone/1"
FILENAMES = {"segmenter": "ganforge_synthetic_segmenter.pt", "features": "ganforge_synthetic_features.pt"}
MANIFEST = "ganforge_synthetic_backbones.json"
TRAIN_COMMAND = "ganforge backbones train"
_NETWORKS: dict[str, type[nn.Module]] = {"segmenter": SegmenterNet, "features": FeatureNet}


def weights_path(network: str, spec: str) -> Path | None:
    """The file a ``weights`` spec names for ``network`` (None for ``"none"``); a missing
    file is a `MissingWeights` naming the command that creates it and where it writes."""
    if spec == "none":
        return None
    default_dir = hub_checkpoints_dir()
    path = default_dir / FILENAMES[network] if spec == "hub" else Path(spec).expanduser()
    if not path.is_file():
        raise MissingWeights(
            f"synthetic {network}: weight file {str(path)!r} not found. `{TRAIN_COMMAND}` trains both offline "
            f"backbones on the synthetic world (minutes on a CPU) and writes {FILENAMES[network]} into "
            f"{str(default_dir)!r} (the torch hub checkpoints cache, where `weights: hub` looks); with "
            f"`--out DIR` it writes to DIR instead, then set `weights` to the file. `weights: none` gives "
            "random weights (tests only).")
    return path


def save_backbone(path: Path, network: str, net: nn.Module) -> str:
    """Write ``net`` (its ``arch`` and weights, on CPU) atomically; return the file's sha256."""
    payload = {"format": FORMAT, "network": network, "arch": dict(net.arch),
               "state_dict": {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    atomic_write_bytes(path, buffer.getvalue())
    return file_sha256(path)


def load_backbone(network: str, spec: str = "hub") -> tuple[nn.Module, str]:
    """The network in eval mode without gradients, and its weights' sha256 (``"none"``
    for the random init, which uses the default architecture)."""
    path = weights_path(network, spec)
    if path is None:
        return random_init_(_NETWORKS[network]()).eval().requires_grad_(False), "none"
    payload = load_state_dict(path, f"synthetic {network}")
    if payload.get("format") != FORMAT or payload.get("network") != network:
        raise ConfigError(f"synthetic {network}: {str(path)!r} is not a {network} file of `{TRAIN_COMMAND}` "
                          f"(format {payload.get('format')!r}, network {payload.get('network')!r}; expected "
                          f"{FORMAT!r}, {network!r})")
    try:
        net = _NETWORKS[network](**payload["arch"])
        net.load_state_dict(payload["state_dict"])
    except (TypeError, KeyError, RuntimeError) as exc:
        raise ConfigError(f"synthetic {network}: {str(path)!r} does not match the network: {exc}") from exc
    return net.eval().requires_grad_(False), file_sha256(path)


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    path = folder / MANIFEST
    atomic_write(path, lambda f: f.write((json.dumps(manifest, indent=2) + "\n").encode("utf-8")))
    return path


__all__ = ["FILENAMES", "MANIFEST", "TRAIN_COMMAND", "weights_path", "save_backbone", "load_backbone",
           "write_manifest"]

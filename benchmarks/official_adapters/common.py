"""Pieces the adapters share: the official checkout's path, stand-ins for imports the
official training code makes but a CPU step never uses, a tiny class-folder dataset for
ganforge's loader, and the ganforge trainer at a config with benchmark settings."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve()


def official_path() -> Path:
    """The checkout given with ``--official`` (the driver exports it), on ``sys.path``."""
    path = Path(os.environ["VS_OFFICIAL"])
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
    return path


def image_size() -> int:
    """The image side (``--size``; the driver exports it): 256, the papers' setting, unless
    a profile runs smaller to save memory."""
    return int(os.environ.get("VS_SIZE", "256"))


def size_settings() -> list[str]:
    """The ganforge data settings for ``image_size()`` (none at the configs' 256)."""
    n = image_size()
    return [] if n == 256 else [f"data.load_size={n}", f"data.crop_size={n}"]


def stand_in(name: str, **attrs) -> None:
    """A module the official code imports at the top but never calls in a training step
    (when it is not installed): an empty module with ``attrs``."""
    try:
        __import__(name)
    except ImportError:
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        sys.modules[name] = module


class AttrDict(dict):
    """``munch.Munch`` as the official StarGAN v2 code uses it: a dict with attribute access."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        self[key] = value


def write_class_folders(root: Path, domains: list[str], size: int = 256, per_domain: int = 1) -> None:
    """root/train/<domain>/*.png with random images: enough for ganforge's class_folders
    dataset to build (the benchmark feeds its own batch)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for d in domains:
        folder = root / "train" / d
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_domain):
            Image.fromarray(rng.integers(0, 256, (size, size, 3)).astype(np.uint8)).save(folder / f"{i}.png")


def ganforge_trainer(config: Path, workdir: Path, batch_size: int, overrides: list[str]):
    """ganforge's Trainer at ``config`` (with its bases and ``--set``-style ``overrides``),
    data in ``workdir/data``, CPU, fp32, no sampling, evaluation or checkpoints."""
    from ganforge.config import from_dict, resolve_tree
    from ganforge.trainer import Trainer

    settings = [f"data.root={workdir / 'data'}", f"train.batch_size={batch_size}", "train.device=cpu",
                "train.sample_every=0", "train.checkpoint_every=0", "train.eval_every=0", "train.precision=fp32",
                "train.num_workers=0"]
    exp = from_dict(resolve_tree(config, [*settings, *overrides]), str(config))
    return Trainer(exp, workdir / f"run-{os.getpid()}", show_progress=False)


def seeded(shape, seed: int, low: float = -1.0, high: float = 1.0) -> torch.Tensor:
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) * (high - low) + low

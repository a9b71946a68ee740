"""Fixtures of the trainer tests: a registry with only the tiny test plugin, configs."""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path

import pytest
import yaml

from ganforge.config import from_dict
from ganforge.registry import load, use_registry

HERE = Path(__file__).resolve().parent
PLUGIN = HERE / "tiny_plugin.py"
sys.path.insert(0, str(HERE))

import tiny_plugin  # noqa: E402

BASE = {
    "data": {"type": "tiny_shapes", "size": 16, "resolution": 8},
    "models": {"generator": {"type": "tiny_gen", "noise": 0.1}, "discriminator": "tiny_disc"},
    "strategy": "tiny_recipe",
    "optim": {"generator": {"lr": 1e-3, "betas": [0.0, 0.9]}, "discriminator": {"lr": 2e-3, "betas": [0.0, 0.9]}},
    "train": {"steps": 6, "batch_size": 4, "seed": 3, "sample_every": 3, "checkpoint_every": 3,
              "log_every": 1, "keep_last": 2, "sample_size": 4},
}


@pytest.fixture(scope="session")
def tiny_registry():
    """Only the tiny plugin: the trainer tests depend on no other plugin."""
    return load(autoload=False, objects=[("tiny", tiny_plugin)], make_current=False)


@pytest.fixture
def registry(tiny_registry):
    with use_registry(tiny_registry) as reg:
        yield reg


@pytest.fixture
def config_tree():
    """A fresh mutable copy of the base config."""
    return copy.deepcopy(BASE)


@pytest.fixture
def make_exp(registry):
    def make(tree=None, **train):
        tree = copy.deepcopy(tree or BASE)
        tree["train"] = {**tree.get("train", {}), **train}
        return from_dict(tree)
    return make


@pytest.fixture
def write_config(tmp_path):
    def write(tree, name="config.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(tree, sort_keys=False))
        return path
    return write


def subprocess_env() -> dict[str, str]:
    """Environment for a child process: the tiny plugin, no entry points, one thread."""
    env = dict(os.environ, GANFORGE_PLUGINS=str(PLUGIN), GANFORGE_DISABLE_PLUGIN_AUTOLOAD="1",
               OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    return env

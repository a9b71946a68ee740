"""Fixtures: a registry holding the core, SPADE and this plugin, and scenes of touching
instances of one class."""

from __future__ import annotations

import pytest
import torch

import ganforge_panoptic.plugin
import ganforge_spade.plugin
from ganforge import Condition, DataInfo


@pytest.fixture
def registry(isolated_registry):
    """The current registry: the core, SPADE (whose blocks, D and recipe are reused) and this plugin."""
    return isolated_registry(("spade", ganforge_spade.plugin), ("panoptic", ganforge_panoptic.plugin))


@pytest.fixture
def data() -> DataInfo:
    """3 classes, 32x32, label and panoptic maps."""
    return DataInfo(fields=frozenset({"label", "panoptic"}), resolution=(32, 32), label_nc=3)


def touching_scene(batch: int = 2, size: int = 32) -> Condition:
    """Class 0 (stuff) everywhere, and two touching instances of class 1 side by side in the
    middle rows: the left one is panoptic id 1 + 256, the right one 1 + 512 (COCO ids with
    R = class + 1, as the synthetic world encodes them)."""
    label = torch.zeros(batch, size, size, dtype=torch.long)
    q = size // 4
    label[:, q:3 * q, q:3 * q] = 1
    instance = torch.zeros_like(label)
    instance[:, q:3 * q, q:2 * q] = 1
    instance[:, q:3 * q, 2 * q:3 * q] = 2
    return Condition(label=label, instance=instance, panoptic=(label + 1) + 256 * instance)


@pytest.fixture
def scene():
    """``scene(batch=2, size=32)``: two touching instances of one class (see `touching_scene`)."""
    return touching_scene


TINY_G = {"type": "panoptic", "ngf": 2, "norm": {"type": "panoptic_spade", "nhidden": 8}}


@pytest.fixture
def tiny() -> dict:
    """A tiny Panoptic generator spec (ngf 2, SPADE hidden width 8)."""
    return {**TINY_G, "norm": dict(TINY_G["norm"])}

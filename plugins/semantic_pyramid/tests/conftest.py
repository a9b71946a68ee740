"""Fixtures: a registry holding the core, SPADE (whose adversarial losses the recipe uses)
and this plugin, and tiny specs for fast tests."""

from __future__ import annotations

import pytest
import torch

import ganforge
import ganforge_semantic_pyramid.plugin
import ganforge_spade.plugin

#: a random-init VGG16 at 1/16 of its widths, 10 classes: the classifier of every test
TINY_CLASSIFIER = {"type": "vgg16_pyramid", "weights": "none", "width": 0.0625, "num_classes": 10}
TINY = {
    "generator": {"type": "semantic_pyramid", "z_dim": 8, "channels": [16, 16, 8, 8, 4],
                  "classifier": TINY_CLASSIFIER},
    "discriminator": {"type": "semantic_pyramid", "ndf": 4, "mults": [1, 2, 2]},
    "encoder": TINY_CLASSIFIER,
}


@pytest.fixture
def semantic_pyramid(isolated_registry):
    return isolated_registry(("spade", ganforge_spade.plugin), ("semantic_pyramid", ganforge_semantic_pyramid.plugin))


@pytest.fixture
def tiny() -> dict:
    return {k: dict(v) for k, v in TINY.items()}


@pytest.fixture
def data() -> ganforge.DataInfo:
    return ganforge.DataInfo(fields=frozenset({"exemplar", "pyramid_mask", "z"}), resolution=(64, 64))


@pytest.fixture
def images() -> torch.Tensor:
    """Two different 64x64 images in [-1, 1]."""
    return torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0)) * 2 - 1

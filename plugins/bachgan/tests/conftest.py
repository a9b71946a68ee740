"""Fixtures: one torch thread, a registry holding the core, SPADE and BachGAN, tiny data."""

from __future__ import annotations

import pytest

import ganforge_bachgan.plugin
import ganforge_spade.plugin
from ganforge import DataInfo


@pytest.fixture(autouse=True)
def registry(isolated_registry):
    """The core, SPADE (whose blocks, D and recipe BachGAN reuses) and BachGAN; it also
    installs BachGAN's condition fields ('retrieved', 'layout')."""
    return isolated_registry(("spade", ganforge_spade.plugin), ("bachgan", ganforge_bachgan.plugin))


@pytest.fixture
def data() -> DataInfo:
    """6 classes, 32x32; boxes from the data, retrieved maps from the retrieval strategy."""
    return DataInfo(fields=frozenset({"label", "boxes", "retrieved"}), resolution=(32, 32), label_nc=6)


TINY_GENERATOR = {"type": "bachgan", "ngf": 2, "num_upsampling_layers": "normal", "num_retrieved": 2,
                  "norm": {"type": "fused_spade", "nhidden": 4}}


@pytest.fixture
def tiny_generator() -> dict:
    return {**TINY_GENERATOR, "norm": dict(TINY_GENERATOR["norm"])}

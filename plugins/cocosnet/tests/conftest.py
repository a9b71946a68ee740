"""Fixtures: a registry holding the core, SPADE and this plugin, tiny data and specs."""

from __future__ import annotations

import pytest

import ganforge_cocosnet.plugin
import ganforge_spade.plugin
from ganforge import DataInfo


@pytest.fixture
def registry(isolated_registry):
    """The current registry: the core, SPADE (whose losses and VGG CoCosNet reuses) and CoCosNet."""
    return isolated_registry(("spade", ganforge_spade.plugin), ("cocosnet", ganforge_cocosnet.plugin))


@pytest.fixture
def data() -> DataInfo:
    """4 classes, 32x32, with exemplars (and their warp, provided by the encoder in a run)."""
    return DataInfo(fields=frozenset({"label", "exemplar", "exemplar_label", "warped_exemplar"}),
                    resolution=(32, 32), label_nc=4)


TINY = {
    "correspondence": {"type": "cocosnet_correspondence", "ngf": 4, "match_channels": 8},
    "generator": {"type": "cocosnet", "ngf": 4, "norm": {"type": "cocosnet_spade", "nhidden": 8}},
    "discriminator": {"type": "cocosnet_patch", "ndf": 8, "n_layers": 3},
}


@pytest.fixture
def tiny() -> dict:
    return {k: dict(v) for k, v in TINY.items()}

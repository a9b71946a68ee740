"""Fixtures: a registry holding the core, SPADE (the hinge loss, the mixing partner) and this plugin."""

from __future__ import annotations

import pytest

import ganforge_attentive_norm.plugin
import ganforge_spade.plugin


@pytest.fixture
def an(isolated_registry):
    return isolated_registry(("spade", ganforge_spade.plugin), ("attentive_norm", ganforge_attentive_norm.plugin))

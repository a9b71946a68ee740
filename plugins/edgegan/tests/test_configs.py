"""Every shipped config validates against the installed components and its data."""

from pathlib import Path

import pytest

from ganforge.config import load_config, recipe_networks, verify

CONFIGS = Path(__file__).parents[1] / "configs"


@pytest.mark.parametrize("name", ["synthetic", "synthetic_background", "sketchycoco", "sketchycoco_background"])
def test_config_validates(edgegan, name):
    exp = load_config(CONFIGS / f"{name}.yaml")
    info = verify(exp)
    assert set(exp.models) <= set(recipe_networks(exp)[0])
    assert info.resolution[0] >= 32


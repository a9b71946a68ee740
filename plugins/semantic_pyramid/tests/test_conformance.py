"""Every component passes ganforge's conformance kit."""

import pytest

import ganforge
from ganforge.testing import check_component

DATA = dict(fields=frozenset({"exemplar", "pyramid_mask", "z"}), resolution=(32, 32))


@pytest.mark.parametrize("kind", ["generator", "discriminator", "encoder"])
def test_networks_conform(semantic_pyramid, tiny, kind):
    spec = tiny[kind]
    params = {k: v for k, v in spec.items() if k != "type"}
    checked = check_component(kind, spec["type"], params=params, data=ganforge.DataInfo(**DATA),
                              dims={"L": 7})
    assert "params documented" in checked.checks


def test_normalizer_and_recipe_conform(semantic_pyramid):
    data = ganforge.DataInfo(**DATA)
    checked = check_component("normalizer", "semantic_pyramid_bn", data=data)
    assert "same seed, same output" in checked.checks
    assert "params documented" in check_component("strategy", "semantic_pyramid", data=data).checks

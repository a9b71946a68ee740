"""ganforge's conformance suite on every component, at tiny sizes."""

from __future__ import annotations

import pytest

from ganforge.testing import check_component

from .helpers import TINY_D, TINY_G

CASES = [
    ("generator", "hidt", {k: v for k, v in TINY_G.items() if k != "type"} | {"seg_channels": 4}, {"D": 3}),
    ("encoder", "hidt_style", {"dim": 8}, {}),
    ("normalizer", "hidt_adain", {"style_dim": 8}, {"D": 8}),
    ("discriminator", "hidt", {k: v for k, v in TINY_D.items() if k != "type"}, {"D": 3}),
    ("generator", "hidt_enhancer", {"nf": 8, "nb": 1, "gc": 4}, {}),
    ("strategy", "hidt", {}, {}),
]


@pytest.mark.parametrize("kind,name,params,dims", CASES, ids=[f"{k}-{n}" for k, n, _, _ in CASES])
def test_conformance(kind, name, params, dims):
    checked = check_component(kind, name, params, dims=dims or None)
    assert "params documented" in checked.checks

"""Every component passes ganforge's conformance kit (shapes, gradients to every parameter,
state_dict round trip, .to(), same seed -> same output, documented params)."""

import pytest

import ganforge
from ganforge.testing import check_component

CLASSES = dict(fields=frozenset({"class_label"}), resolution=(32, 32), num_classes=3)
HOLES = dict(fields=frozenset({"mask", "masked_image"}), resolution=(64, 64))


@pytest.mark.parametrize("kind, spec, data", [
    ("normalizer", {"type": "attentive_norm", "n": 4}, CLASSES),
    ("generator", {"type": "an_biggan", "ch": 2, "dim_z": 8, "shared_dim": 4, "an_resolutions": [16]}, CLASSES),
    ("discriminator", {"type": "an_projection", "ch": 2, "attention_resolutions": [16]}, CLASSES),
    ("generator", {"type": "an_inpainting", "cnum": 4, "attention": {"type": "attentive_norm", "n": 4}}, HOLES),
    ("discriminator", {"type": "an_inpainting", "cnum": 2}, HOLES),
    ("strategy", {"type": "an_class_conditional"}, CLASSES),
    ("strategy", {"type": "an_inpainting"}, HOLES),
])
def test_conformance(an, kind, spec, data):
    name, params = spec["type"], {k: v for k, v in spec.items() if k != "type"}
    checked = check_component(kind, name, params=params, data=ganforge.DataInfo(**data))
    assert "params documented" in checked.checks
    if kind != "strategy":
        assert "same seed, same output" in checked.checks

"""Every component passes ganforge's conformance kit."""

import pytest

import ganforge
from ganforge.testing import check_component

DATA = dict(fields=frozenset({"z", "class_label", "sketch", "edge", "instance", "boxes", "scene_sketch"}),
            resolution=(32, 32), num_classes=3, label_nc=4)


@pytest.mark.parametrize("kind, spec", [
    ("generator", {"type": "edgegan", "z_dim": 8, "ngf": 4, "size": 32}),
    ("encoder", {"type": "edgegan_edge", "z_dim": 8, "nef": 4, "size": 32}),
    ("discriminator", {"type": "edgegan_critic", "ndf": 4, "size": [32, 32]}),
    ("discriminator", {"type": "edgegan_classifier", "width": 2, "stem": 4}),
    ("generator", {"type": "edgegan_background", "ngf": 4, "num_downs": 5}),
    ("discriminator", {"type": "edgegan_patch", "ndf": 4}),
    ("normalizer", {"type": "pix2pix_batch"}),
    ("strategy", {"type": "edgegan"}),
    ("strategy", {"type": "edgegan_background"}),
])
def test_conformance(edgegan, kind, spec):
    name, params = spec["type"], {k: v for k, v in spec.items() if k != "type"}
    pair = name == "edgegan" and kind == "generator"  # forward draws G_I only: check both through pair()
    checked = check_component(kind, name, params=params, data=ganforge.DataInfo(**DATA),
                              dims={"D": 8} if pair else None, call=(lambda g, c: sum(g.pair(c))) if pair else None)
    assert "params documented" in checked.checks
    if kind != "strategy":
        assert "same seed, same output" in checked.checks

"""Parameter counts at the paper's three dataset settings equal NVlabs/SPADE's.

The official numbers and settings are the ``official_counts`` and ``paper_data`` fixtures
(conftest.py says how they were read off github.com/NVlabs/SPADE). The networks are built
on the meta device (no memory, no initialisation cost); spectral norm is off there only
because its power iteration is slow on meta — it adds no parameters, which the last test
checks.
"""

import pytest
import torch

import ganforge
from ganforge import DataInfo


def count(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("dataset", ["ade20k", "cityscapes", "coco_stuff"])
def test_counts_equal_the_official_implementation(spade, official_counts, paper_data, dataset):
    data, up = paper_data[dataset]
    g = {"type": "spade", "ngf": 64, "num_upsampling_layers": up, "spectral_norm": False}
    with torch.device("meta"):
        counts = (count(ganforge.build("generator", g, data)),
                  count(ganforge.build("generator", {**g, "use_vae": True}, data)),
                  count(ganforge.build("discriminator", {"type": "multiscale_patch", "ndf": 64, "n_layers": 4,
                                                         "num_D": 2, "spectral_norm": False}, data)),
                  count(ganforge.build("encoder", {"type": "spade_vae", "ndf": 64, "spectral_norm": False}, data)))
    assert counts == official_counts[dataset]


def test_spectral_norm_adds_no_parameters(spade):
    data = DataInfo(fields=frozenset({"label", "instance"}), resolution=(64, 64), label_nc=3)
    for kind, spec in [("generator", {"type": "spade", "ngf": 2, "use_vae": True}),
                       ("discriminator", {"type": "multiscale_patch", "ndf": 4}),
                       ("encoder", {"type": "spade_vae", "ndf": 2, "input_size": 64})]:
        with_sn = ganforge.build(kind, spec, data)
        without = ganforge.build(kind, {**spec, "spectral_norm": False}, data)
        assert any("parametrizations" in n for n, _ in with_sn.named_parameters())
        assert count(with_sn) == count(without) > 0

"""Parameter counts at the paper's three dataset settings equal NVlabs/SPADE's.

The official numbers were read by instantiating SPADEGenerator, MultiscaleDiscriminator
and ConvEncoder of github.com/NVlabs/SPADE with each dataset's options
(data/cityscapes_dataset.py, ade20k_dataset.py, coco_dataset.py) and summing
``numel()`` over ``parameters()``. The networks are built on the meta device (no memory,
no initialisation cost); spectral norm is off there only because its power iteration is
slow on meta — it adds no parameters, which the last test checks.
"""

import pytest
import torch

import ganforge
from ganforge import DataInfo

OFFICIAL = {  # dataset: (G, G with --use_vae, D, E)
    "cityscapes": (93_048_003, 101_136_579, 5_601_410, 10_463_424),
    "ade20k": (96_492_483, 111_942_595, 5_836_930, 10_463_424),
    "coco_stuff": (97_480_899, 112_626_883, 5_904_514, 10_463_424),
}
SETTINGS = {  # (DataInfo, num_upsampling_layers), as SPADE's dataset options define them
    "cityscapes": (DataInfo(fields=frozenset({"label", "instance"}), resolution=(256, 512), label_nc=35), "more"),
    "ade20k": (DataInfo(fields=frozenset({"label"}), resolution=(256, 256), label_nc=150,
                        contain_dontcare_label=True), "normal"),
    "coco_stuff": (DataInfo(fields=frozenset({"label", "instance"}), resolution=(256, 256), label_nc=182,
                            contain_dontcare_label=True), "normal"),
}


def count(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("dataset", sorted(OFFICIAL))
def test_counts_equal_the_official_implementation(spade, dataset):
    data, up = SETTINGS[dataset]
    g = {"type": "spade", "ngf": 64, "num_upsampling_layers": up, "spectral_norm": False}
    with torch.device("meta"):
        counts = (count(ganforge.build("generator", g, data)),
                  count(ganforge.build("generator", {**g, "use_vae": True}, data)),
                  count(ganforge.build("discriminator", {"type": "multiscale_patch", "ndf": 64, "n_layers": 4,
                                                         "num_D": 2, "spectral_norm": False}, data)),
                  count(ganforge.build("encoder", {"type": "spade_vae", "ndf": 64, "spectral_norm": False}, data)))
    assert counts == OFFICIAL[dataset]


def test_spectral_norm_adds_no_parameters(spade):
    data = DataInfo(fields=frozenset({"label", "instance"}), resolution=(64, 64), label_nc=3)
    for kind, spec in [("generator", {"type": "spade", "ngf": 2, "use_vae": True}),
                       ("discriminator", {"type": "multiscale_patch", "ndf": 4}),
                       ("encoder", {"type": "spade_vae", "ndf": 2, "input_size": 64})]:
        with_sn = ganforge.build(kind, spec, data)
        without = ganforge.build(kind, {**spec, "spectral_norm": False}, data)
        assert any("parametrizations" in n for n, _ in with_sn.named_parameters())
        assert count(with_sn) == count(without) > 0

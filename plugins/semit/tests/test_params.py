"""Parameter counts at the Animals setting equal the official implementation's.

Official numbers, counted by instantiating yaxingwang/SEMIT's ``FewShotGen`` and
``GPPatchMcResDis`` (networks.py, configs/animals.yaml: nf 64, nf_mlp 256, latent_dim 64,
3 MLP blocks; discriminator nf 64, 10 residual blocks, 119 classes). The official class
encoder also builds two BatchNorm layers (bn1, bn2: 768 parameters) that its forward never
calls; ours does not build them.
"""

from __future__ import annotations

import pytest
import torch

import ganforge

OFFICIAL = {"generator": 65_606_080, "discriminator": 54_252_599}
OFFICIAL_PARTS = {"enc_class_model": 1_608_896, "enc_content": 30_951_808, "dec": 29_804_928, "mlp": 3_240_448}
UNUSED_OFFICIAL_BATCHNORM = 768
CLASSES = {"animals": 119, "birds": 444, "flowers": 85, "foods": 224}


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def build(kind: str, classes: int = 119):
    data = ganforge.DataInfo(fields=frozenset({"class_label"}), num_classes=classes, resolution=(128, 128))
    with torch.device("meta"):
        return ganforge.build(kind, {"type": "semit"}, data, check=False)


def test_generator_equals_the_official_one():
    g = build("generator")
    assert count(g) == OFFICIAL["generator"] - UNUSED_OFFICIAL_BATCHNORM
    parts = {name: count(getattr(g, name)) for name in OFFICIAL_PARTS}
    assert parts == {**OFFICIAL_PARTS, "enc_class_model": OFFICIAL_PARTS["enc_class_model"] - UNUSED_OFFICIAL_BATCHNORM}


def test_discriminator_equals_the_official_one():
    assert count(build("discriminator")) == OFFICIAL["discriminator"]


@pytest.mark.parametrize("dataset, classes", sorted(CLASSES.items()))
def test_discriminator_head_per_dataset(dataset, classes):
    # only the 1x1 class head (1024 -> classes, with bias) depends on the dataset
    assert count(build("discriminator", classes)) == OFFICIAL["discriminator"] + (classes - 119) * 1025


def test_adain_parameters_match_the_official_layout():
    g = build("generator")
    # 6 residual blocks x 2 norms x 2 branches x (bias, scale) x 256 channels: official get_num_adain_params
    assert g.mlp[-1].out_features == 12_288

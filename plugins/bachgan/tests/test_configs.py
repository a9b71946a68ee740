"""The shipped configs: the synthetic one checks and builds; Cityscapes' networks have the
official sizes; ADE20K checks with the boxes its layout computes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import ganforge
from ganforge.config import load_config, verify
from ganforge.trainer import build_networks

CONFIGS = Path(__file__).parents[1] / "configs"


def test_synthetic_config_checks_and_builds():
    exp = load_config(CONFIGS / "synthetic.yaml")
    info = verify(exp, source="synthetic.yaml")
    assert {"boxes", "retrieved"} <= info.fields and info.label_nc == 9
    models, _ = build_networks(exp, info)
    assert set(models) == {"generator", "discriminator"}
    assert models["generator"].params.things == (4, 5, 6, 7, 8)


def test_cityscapes_networks_have_the_official_sizes():
    exp = load_config(CONFIGS / "cityscapes.yaml")
    info = verify(exp, source="cityscapes.yaml")  # described from params: no dataset on disk needed
    assert info.resolution == (256, 512) and "boxes" in info.fields
    with torch.device("meta"):
        models, _ = build_networks(exp, info)
    counts = {role: sum(p.numel() for p in m.parameters()) for role, m in models.items()}
    assert counts == {"generator": 98_294_542 - 5_254_371, "discriminator": 5_599_362}


def test_ade20k_checks_with_boxes_and_official_sizes():
    exp = load_config(CONFIGS / "ade20k.yaml")
    info = verify(exp, source="ade20k.yaml")
    assert info.resolution == (256, 256) and "boxes" in info.fields
    with torch.device("meta"):
        models, _ = build_networks(exp, info)
    counts = {role: sum(p.numel() for p in m.parameters()) for role, m in models.items()}
    assert counts == {"generator": 102_224_506 - 5_321_303, "discriminator": 5_836_930}
    assert len(models["generator"].params.things) == 115

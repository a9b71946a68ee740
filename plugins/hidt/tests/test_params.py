"""Parameter counts equal the official networks' (saic-mdal/HiDT instantiated from its
configs/daytime.yaml and configs/wikiart.yaml; RRDBNet(48, 3, 64, 5, 32) for G_enh)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import ganforge
from ganforge.config import resolve_tree

from .helpers import FACTS

OFFICIAL = FACTS["params"]
CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def networks(config: str):
    models = resolve_tree(CONFIGS / f"{config}.yaml")["models"]  # with its base: merged
    data = ganforge.DataInfo(fields=frozenset({"label", "source", "style"}), resolution=(256, 256), label_nc=3)
    with torch.device("meta"):
        return {role: ganforge.build(kind, models[role], data, check=False)
                for role, kind in (("generator", "generator"), ("style_encoder", "encoder"))}


@pytest.mark.parametrize("config", ["daytime", "wikiart"])
def test_translation_network_equals_official(config):
    nets = networks(config)
    g, e = nets["generator"], nets["style_encoder"]
    assert count(e) == OFFICIAL[f"{config}_style_encoder"]
    assert count(g) + count(e) == OFFICIAL[f"{config}_generator"]
    # official decoder = our decoder and style MLP: everything of G but E_c
    assert count(g) - count(g.content_encoder) == OFFICIAL[f"{config}_decoder"]


def test_content_encoder_and_enhancer_equal_official():
    g = networks("daytime")["generator"]
    assert count(g.content_encoder) == OFFICIAL["daytime_content_encoder"] == 3_497_184
    with torch.device("meta"):
        enhancer = ganforge.build("generator", "hidt_enhancer", ganforge.DataInfo(), check=False)
    assert count(enhancer) == OFFICIAL["enhancer"] == 3_995_843
    assert OFFICIAL["daytime_generator"] == 9_819_289 and OFFICIAL["wikiart_generator"] == 9_809_935

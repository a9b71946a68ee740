"""Parameter counts at the three official settings equal Seanseattle/SMIS's (conftest.OFFICIAL).

The networks are built from the shipped configs on the meta device (no memory, no
initialisation); spectral norm is off there because its power iteration is slow on meta —
it adds no parameters, which the last test checks.
"""

from pathlib import Path

import pytest
import torch

import ganforge
from ganforge import DataInfo
from ganforge.config import check_components, describe_data, load_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def count(module):
    return sum(p.numel() for p in module.parameters())


def config_counts(dataset: str) -> dict[str, int]:
    exp = load_config(CONFIGS / f"{dataset}.yaml", check=False)  # the datasets are not on this machine
    kinds = check_components(exp)
    data = describe_data(exp)
    counts = {}
    with torch.device("meta"):
        for role, short in (("generator", "G"), ("encoder", "E"), ("discriminator", "D")):
            spec = {**exp.models[role].model_dump(), "spectral_norm": False}
            counts[short] = count(ganforge.build(kinds[role], spec, data))
    return counts


@pytest.mark.parametrize("dataset", ["deepfashion", "cityscapes"])
def test_counts_equal_the_official_implementation(registry, official_counts, dataset):
    assert config_counts(dataset) == official_counts[dataset]


def test_ade20k_counts_equal_the_official_ones_but_its_unused_block(registry, official_counts):
    """The official ADE20KGenerator builds an up_4 block its forward never runs; we build none."""
    official = official_counts["ade20k"]
    assert config_counts("ade20k") == {"G": official["G"] - official["G_unused_up_4"], "E": official["E"],
                                       "D": official["D"]}


def test_spectral_norm_adds_no_parameters(registry, tiny):
    data = DataInfo(fields=frozenset({"label"}), resolution=(64, 64), label_nc=4)
    for kind in ("generator", "encoder"):
        with_sn = ganforge.build(kind, tiny[kind], data)
        without = ganforge.build(kind, {**tiny[kind], "spectral_norm": False}, data)
        assert any("parametrizations" in n for n, _ in with_sn.named_parameters())
        assert count(with_sn) == count(without) > 0

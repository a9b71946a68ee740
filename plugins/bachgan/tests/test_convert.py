"""The official checkpoint layout (recorded from Cold-Winter/BachGAN's networks for the
Cityscapes config, ``facts/*.json``: every key and shape) imports into ours and back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import ganforge
from ganforge import DataInfo
from ganforge_bachgan import convert

FACTS = Path(__file__).parent / "facts"
DATA = DataInfo(fields=frozenset({"label", "boxes", "retrieved"}), resolution=(256, 512), label_nc=35)


def _official(name: str) -> dict[str, torch.Tensor]:
    """The recorded layout as tensors without storage (names and shapes are what is tested)."""
    shapes = json.loads((FACTS / f"official_cityscapes_net_{name}.json").read_text())
    return {k: torch.empty(v, device="meta") for k, v in shapes.items()}


@pytest.fixture(scope="module")
def networks():
    with torch.device("meta"):
        g = ganforge.build("generator", {"type": "bachgan", "num_upsampling_layers": "more"}, DATA)
        d = ganforge.build("discriminator", "bachgan_patch", DATA)
    return g, d


def test_every_used_official_generator_tensor_has_a_place(networks):
    g, _ = networks
    state = _official("G")
    mapped = convert.from_official(g, state)
    assert set(mapped) == set(g.state_dict())
    assert sorted(k.split(".")[0] for k in convert.unused_keys(state)) == sorted(
        ["conv1_1"] * 2 + ["conv1_1_memory"] * 2 + ["conv1_2"] * 2 + ["conv2_1"] * 2 + ["conv2_2"] * 2 + ["upscore"]
        + ["conv_seg"] * 2)
    for ours, theirs in convert.official_names(g).items():
        assert g.state_dict()[ours].shape == state[theirs].shape, ours
    assert convert.official_names(g)["fusion.encode_shared.0.weight"] == "encode_shared.0.weight"
    assert convert.official_names(g)["blocks.3.conv_s.parametrizations.weight.original"] == "up_0.conv_s.weight_orig"


def test_discriminator_layout(networks):
    _, d = networks
    state = _official("D")
    assert set(convert.from_official(d, state)) == set(d.state_dict())


def test_small_generator_round_trip():
    """Values land where they belong: to_official -> from_official is the identity."""
    data = DataInfo(fields=frozenset({"label", "boxes", "retrieved"}), resolution=(32, 32), label_nc=5)
    g = ganforge.build("generator", {"type": "bachgan", "ngf": 2, "norm": {"type": "fused_spade", "nhidden": 4}}, data)
    official = convert.to_official(g)
    assert "encode_shared.0.weight" in official and not any(k.startswith("fusion.") for k in official)
    back = convert.from_official(g, {**official, "conv_seg.weight": torch.zeros(5, 2, 3, 3)})
    assert all(torch.equal(back[k], v) for k, v in g.state_dict().items())


def test_a_checkpoint_of_another_config_is_named(networks):
    data = DataInfo(fields=frozenset({"label", "boxes", "retrieved"}), resolution=(32, 32), label_nc=5)
    g = ganforge.build("generator", {"type": "bachgan", "ngf": 2, "norm": {"type": "fused_spade", "nhidden": 4}}, data)
    with pytest.raises(ganforge.ConfigError, match="does not fit this BachGANGenerator"):
        convert.from_official(g, _official("G"))


def test_missing_file_says_where_to_get_it(tmp_path, networks):
    with pytest.raises(ganforge.DataError, match="BachGan.zip"):
        convert.load_official(networks[0], tmp_path / "60_net_G.pth")
    torch.save([1, 2], tmp_path / "list.pth")
    with pytest.raises(ganforge.DataError, match="list.pth: holds a list, not a BachGAN checkpoint"):
        convert.load_official(networks[0], tmp_path / "list.pth")

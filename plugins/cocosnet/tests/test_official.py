"""Parameter counts and checkpoint layout against the official ADE20K networks.

Facts: microsoft/CoCosNet at de0c1bb, networks built with the options of the released
ADE20K model (``--use_attention --maskmix --warp_mask_losstype direct --PONO --PONO_C``,
label_nc 150 + don't care, ngf = ndf = 64, 256x256); every state_dict key and shape is
recorded in official_ade20k_layout.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import ganforge
from ganforge import DataInfo
from ganforge.official import hook_spectral_name
from ganforge_cocosnet import convert

OFFICIAL = {"netG": 96_664_260, "netCorr": 59_315_716, "netD": 6_862_194}
OFFICIAL_D_UNUSED_DECODER = 861_422  # discriminator_<i>.dec: built, never called in forward
LAYOUT = json.loads((Path(__file__).parent / "official_ade20k_layout.json").read_text())
ADE20K = DataInfo(fields=frozenset({"label", "exemplar", "exemplar_label", "warped_exemplar"}),
                  resolution=(256, 256), label_nc=150, contain_dontcare_label=True)
SPECS = {"netG": ("generator", "cocosnet"), "netCorr": ("encoder", "cocosnet_correspondence"),
         "netD": ("discriminator", "cocosnet_patch")}


@pytest.fixture
def ade20k_networks(registry):
    with torch.device("meta"):
        return {name: ganforge.build(kind, {"type": comp}, ADE20K) for name, (kind, comp) in SPECS.items()}


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_layout_file_agrees_with_the_recorded_counts():
    for name in OFFICIAL:
        assert LAYOUT["params"][name] == OFFICIAL[name]
    assert LAYOUT["params"]["netD_dec_unused"] == OFFICIAL_D_UNUSED_DECODER


def test_parameter_counts_equal_the_official(ade20k_networks):
    assert count(ade20k_networks["netG"]) == OFFICIAL["netG"]
    assert count(ade20k_networks["netCorr"]) == OFFICIAL["netCorr"]
    assert count(ade20k_networks["netD"]) == OFFICIAL["netD"] - OFFICIAL_D_UNUSED_DECODER
    assert count(ade20k_networks["netG"]) + count(ade20k_networks["netCorr"]) == 155_979_976


@pytest.mark.parametrize("name", list(SPECS))
def test_state_dict_layout_equals_the_official(ade20k_networks, name):
    ours = {hook_spectral_name(k): list(v.shape) for k, v in ade20k_networks[name].state_dict().items()}
    theirs = {k: v for k, v in LAYOUT[name].items() if not convert.UNUSED.match(k)}
    assert ours == theirs


def _official_state(model) -> dict[str, torch.Tensor]:
    """A file as the official code writes it: its keys, seeded values (and the D's decoder)."""
    gen = torch.Generator().manual_seed(0)
    state = {k: torch.randn(v.shape, generator=gen) for k, v in convert.to_official(model).items()}
    if isinstance(model, ganforge.Discriminator):
        state["discriminator_0.dec.9.bias"] = torch.zeros(5)
    return state


@pytest.mark.parametrize("name", list(SPECS))
def test_import_of_an_official_file_loads_every_tensor(registry, tiny, tmp_path, data, name):
    role = {"netG": "generator", "netCorr": "correspondence", "netD": "discriminator"}[name]
    model = ganforge.build(SPECS[name][0], tiny[role], data)
    state = _official_state(model)
    torch.save(state, tmp_path / "latest.pth")
    convert.load_official(model, tmp_path / "latest.pth")
    loaded = convert.to_official(model)
    assert all(torch.equal(loaded[k], state[k]) for k in loaded)


def test_a_checkpoint_of_another_config_is_a_clear_error(registry, tiny, data, tmp_path):
    model = ganforge.build("encoder", tiny["correspondence"], data)
    state = convert.to_official(model)
    state["theta.weight"] = torch.zeros(3, 3, 1, 1)
    del state["phi.bias"]
    with pytest.raises(ganforge.ConfigError, match=r"missing: phi.bias[\s\S]*theta.weight: \(3, 3, 1, 1\)"):
        convert.from_official(model, state, source="x.pth")
    with pytest.raises(ganforge.DataError, match="latest_net_Corr.pth"):
        convert.load_official(model, tmp_path / "absent.pth")
    (tmp_path / "damaged.pth").write_bytes(b"\x80\x02junk")
    with pytest.raises(ganforge.DataError, match="damaged.pth: cannot be read as a CoCosNet checkpoint"):
        convert.load_official(model, tmp_path / "damaged.pth")

"""Import of the released checkpoints and parity with the official networks, checked
against facts recorded in data/official_state_dicts.json: key names and shapes of
clovaai/stargan-v2's networks at the AFHQ and CelebA-HQ settings and at two tiny
settings, and summaries of the official networks' outputs for seeded weights and inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import ganforge
from ganforge_stargan_v2.convert import ROLES, load_official, to_official

OFFICIAL = json.loads((Path(__file__).parent / "data" / "official_state_dicts.json").read_text())
HPF_KERNEL = torch.tensor([[-1.0, -1, -1], [-1, 8, -1], [-1, -1, -1]])


def networks(setting: str) -> dict[str, torch.nn.Module]:
    cfg = OFFICIAL[setting]["config"]
    data = ganforge.DataInfo(fields=frozenset({"domain", "face_mask"}), num_domains=cfg["nd"],
                             resolution=(cfg["img"], cfg["img"]))
    trunk = {"max_conv_dim": cfg["maxc"]}
    return {
        "generator": ganforge.build("generator", {"type": "stargan_v2", **trunk, "w_hpf": cfg["hpf"],
                                                  "norm": {"type": "adain", "style_dim": cfg["style"]}}, data,
                                    check=False),
        "mapping": ganforge.build("encoder", {"type": "stargan_v2_mapping", "latent_dim": cfg["lat"],
                                              "style_dim": cfg["style"]}, data, check=False),
        "style_encoder": ganforge.build("encoder", {"type": "stargan_v2_style", **trunk,
                                                    "style_dim": cfg["style"]}, data, check=False),
        "discriminator": ganforge.build("discriminator", {"type": "stargan_v2", **trunk}, data, check=False),
    }


def official_only(setting: str) -> dict[str, list]:
    """Official generator entries without a weight of ours: the high-pass kernel and the
    decoder's unused shortcut convs (CelebA-HQ setting)."""
    if not OFFICIAL[setting]["config"]["hpf"]:
        return {}
    return {k: s for k, s in OFFICIAL[setting]["generator"]
            if k == "hpf.filter" or (k.startswith("decode.") and ".conv1x1." in k)}


@pytest.mark.parametrize("setting", ["afhq", "celeba_hq", "tiny", "tiny_hpf"])
def test_renamed_layouts_equal_the_official_ones(setting):
    with torch.device("meta"):
        nets = networks(setting)
    hpf = OFFICIAL[setting]["config"]["hpf"]
    for entry, role in ROLES.items():
        if role == "fan":
            continue
        renamed = {k: list(v.shape) for k, v in to_official(entry, nets[role].state_dict()).items()}
        official = {k: s for k, s in OFFICIAL[setting][entry]}
        if entry == "generator":
            extra = official_only(setting)
            assert ("hpf.filter" in extra) == bool(hpf)
            official = {k: s for k, s in official.items() if k not in extra}
        assert renamed == official, entry


def test_import_round_trip(tmp_path):
    """Our weights -> official names (+ the entries we drop) -> load_official -> the same weights."""
    torch.manual_seed(0)
    source = networks("tiny_hpf")
    ckpt = {entry: to_official(entry, source[role].state_dict()) for entry, role in ROLES.items() if role != "fan"}
    for k, shape in official_only("tiny_hpf").items():
        ckpt["generator"][k] = HPF_KERNEL / 1.0 if k == "hpf.filter" else torch.randn(shape)
    path = tmp_path / "100000_nets.ckpt"
    torch.save(ckpt, path)
    torch.manual_seed(1)
    target = networks("tiny_hpf")
    assert sorted(load_official(path, target)) == sorted(["generator", "mapping", "style_encoder", "discriminator"])
    for role, net in source.items():
        for k, v in net.state_dict().items():
            assert torch.equal(target[role].state_dict()[k], v), (role, k)


def test_mismatches_are_named(tmp_path):
    torch.manual_seed(0)
    source = networks("tiny_hpf")
    path = tmp_path / "ckpt.ckpt"
    torch.save({"mapping_network": to_official("mapping_network", source["mapping"].state_dict())}, path)
    cfg = OFFICIAL["tiny_hpf"]["config"]
    data = ganforge.DataInfo(fields=frozenset({"domain"}), num_domains=3, resolution=(256, 256))
    three = ganforge.build("encoder", {"type": "stargan_v2_mapping", "latent_dim": cfg["lat"],
                                       "style_dim": cfg["style"]}, data, check=False)
    with pytest.raises(ganforge.ConfigError, match=r"(?s)entry .mapping_network. does not fit models.mapping.*missing: "
                                                   r"\['heads.2"):
        load_official(path, {"mapping": three})
    torch.save({"generator": {"hpf.filter": HPF_KERNEL}}, path)
    no_hpf = ganforge.build("generator", "stargan_v2", data, check=False)
    with pytest.raises(ganforge.ConfigError, match=r"high-pass filter for w_hpf = 1; the generator is built with w_hpf = 0"):
        load_official(path, {"generator": no_hpf})
    with pytest.raises(FileNotFoundError, match="download.sh pretrained-network-afhq"):
        load_official(tmp_path / "absent.ckpt", {})
    torch.save({"weights": {}}, path)
    with pytest.raises(ganforge.DataError, match="not an official StarGAN v2 checkpoint"):
        load_official(path, {})


def seeded_state(layout: list, w_hpf: float) -> dict[str, torch.Tensor]:
    """Weights for an official layout: every tensor ~ 0.05 N(0, 1) from one seeded
    stream in layout order (the recipe the recorded outputs were computed with)."""
    g = torch.Generator().manual_seed(0)
    state = {k: torch.randn(shape, generator=g) * 0.05 for k, shape in layout}
    if "hpf.filter" in state:
        state["hpf.filter"] = HPF_KERNEL / w_hpf
    return state


def seeded_inputs():
    g = torch.Generator().manual_seed(1)
    x, s = torch.randn(1, 3, 256, 256, generator=g), torch.randn(1, 8, generator=g)
    masks, z = torch.rand(1, 2, 256, 256, generator=g), torch.randn(1, 4, generator=g)
    yy, xx = torch.meshgrid(torch.arange(256.0), torch.arange(256.0), indexing="ij")
    centers = torch.rand(1, 98, 2, generator=g) * 200 + 28
    heat = torch.exp(-((yy - centers[..., 0, None, None]) ** 2 + (xx - centers[..., 1, None, None]) ** 2) / 72.0)
    return x, s, masks, z, torch.tensor([1]), heat * torch.rand(1, 98, 1, 1, generator=g)


def assert_summary(t: torch.Tensor, expected: dict, what: str) -> None:
    flat = t.detach().flatten().double()
    idx = torch.linspace(0, flat.numel() - 1, 16).long()
    assert flat.sum().item() == pytest.approx(expected["sum"], rel=1e-4, abs=1e-3), what
    assert flat.abs().sum().item() == pytest.approx(expected["abs_sum"], rel=1e-4), what
    torch.testing.assert_close(flat[idx], torch.tensor(expected["values"], dtype=torch.float64), rtol=1e-4,
                               atol=1e-5, msg=what)


@pytest.mark.parametrize("setting", ["tiny", "tiny_hpf"])
def test_imported_networks_reproduce_the_official_outputs(setting, tmp_path):
    """Official networks with seeded weights gave the recorded outputs; ours, loaded with
    the same weights through the importer, give the same."""
    hpf = OFFICIAL[setting]["config"]["hpf"]
    release = {entry: seeded_state(OFFICIAL[setting][entry], hpf) for entry in
               ("generator", "mapping_network", "style_encoder", "discriminator")}
    torch.save(release, tmp_path / "nets.ckpt")
    nets = networks(setting)
    load_official(tmp_path / "nets.ckpt", nets)
    x, s, masks, z, y, _ = seeded_inputs()
    expected = OFFICIAL["outputs"][setting]
    cond = ganforge.Condition(source=x, style=s, face_mask=masks)
    with torch.no_grad():
        assert_summary(nets["generator"].eval()(cond), expected["generator"], "generator")
        assert_summary(nets["mapping"](None, ganforge.Condition(z=z, domain=y))["style"], expected["mapping_network"],
                       "mapping")
        assert_summary(nets["style_encoder"](x, ganforge.Condition(domain=y))["style"], expected["style_encoder"],
                       "style encoder")
        assert_summary(nets["discriminator"](x, ganforge.Condition(domain=y)).scores[0], expected["discriminator"],
                       "discriminator")


def test_face_masks_reproduce_the_official_preprocessing():
    from ganforge_stargan_v2.fan import heatmaps_to_masks

    assert_summary(heatmaps_to_masks(seeded_inputs()[-1]), OFFICIAL["outputs"]["face_masks"], "face masks")

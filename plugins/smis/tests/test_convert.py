"""Import of the released SMIS checkpoints: our key names and shapes against the official
DeepFashion layout recorded in data/official_deepfashion_keys.txt (facts, not a download)."""

from math import prod
from pathlib import Path

import pytest
import torch

import ganforge
from ganforge import DataInfo
from ganforge_smis import convert

LAYOUT = Path(__file__).parent / "data" / "official_deepfashion_keys.txt"
DEEPFASHION = DataInfo(fields=frozenset({"label"}), resolution=(256, 256), label_nc=8)


def recorded(network: str) -> dict[str, tuple[int, ...]]:
    rows = [line.split(" ") for line in LAYOUT.read_text().splitlines() if line and not line.startswith("#")]
    return {key: tuple(int(s) for s in shape.split(",") if s) for net, key, shape in rows if net == network}


def networks(data, ngf=160, ndf=256, spectral=True):
    g = ganforge.build("generator", {"type": "groupdnet", "ngf": ngf, "spectral_norm": spectral}, data)
    e = ganforge.build("encoder", {"type": "groupdnet", "ndf": ndf, "spectral_norm": spectral}, data)
    return {"G": g, "E": e}


def test_key_names_equal_the_official_ones(registry):
    """Names do not depend on widths: a narrow DeepFashion-shaped network (K = 8, 'more',
    spectral norm on) has exactly the official keys."""
    small = DataInfo(fields=frozenset({"label"}), resolution=(128, 128), label_nc=8)
    for net, model in networks(small, ngf=8, ndf=8).items():
        assert set(convert.official_names(model).values()) == set(recorded(net)), net


def test_shapes_equal_the_official_ones_at_the_deepfashion_setting(registry):
    """Full size on the meta device (spectral norm off there: its power iteration is slow on
    meta); the spectral norm's weight_orig is then our weight, and its u / v vectors are the
    (out,) and (in x kh x kw,) shapes torch's parametrization stores as _u / _v."""
    with torch.device("meta"):
        models = networks(DEEPFASHION, spectral=False)
    for net, model in models.items():
        official = recorded(net)
        expected = {}
        for key, shape in official.items():
            if key.endswith(".weight_orig"):
                expected[key[: -len("_orig")]] = shape
                assert official[key[: -len("orig")] + "u"] == shape[:1]
                assert official[key[: -len("orig")] + "v"] == (prod(shape[1:]),)
            elif not key.endswith((".weight_u", ".weight_v")):
                expected[key] = shape
        ours = {convert.official_names(model)[k]: tuple(v.shape) for k, v in model.state_dict().items()}
        assert ours == expected, net


def test_round_trip_through_the_official_layout(registry, data, tiny, make_condition):
    torch.manual_seed(0)
    g = ganforge.build("generator", tiny["generator"], data).eval()
    state = convert.to_official(g)
    assert "head_0.conv_0.weight_orig" in state and "up_3.norm_1.mlp_gamma.weight" in state
    torch.manual_seed(1)
    fresh = ganforge.build("generator", tiny["generator"], data).eval()
    fresh.load_state_dict(convert.from_official(fresh, state))
    cond = make_condition(data).replace(region_style=torch.randn(2, 4, 8))
    with torch.no_grad():
        assert torch.equal(fresh(cond), g(cond))


def test_a_checkpoint_of_another_setting_is_refused_by_name(registry, data, tiny, tmp_path):
    e = ganforge.build("encoder", tiny["encoder"], data)
    state = convert.to_official(e)
    state["fc_mu.weight"] = torch.zeros(1, 1, 3, 3)
    del state["layer1.bias"]  # unnormalised layers (norm: none) are bare convs, as officially
    with pytest.raises(ganforge.ConfigError, match=r"missing: layer1.bias[\s\S]*fc_mu.weight: \(1, 1, 3, 3\)"):
        convert.from_official(e, state)
    path = tmp_path / "latest_net_E.pth"
    torch.save(convert.to_official(e), path)
    convert.load_official(ganforge.build("encoder", tiny["encoder"], data), path)
    with pytest.raises(ganforge.DataError, match="missing.pth: no such file"):
        convert.load_official(e, tmp_path / "missing.pth")
    (tmp_path / "empty.pth").write_bytes(b"")
    with pytest.raises(ganforge.DataError, match="empty.pth: empty file; expected a SMIS checkpoint"):
        convert.load_official(e, tmp_path / "empty.pth")

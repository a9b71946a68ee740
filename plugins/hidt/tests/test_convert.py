"""The official releases load into ganforge's networks and compute what the official
networks compute: same weights, same inputs, outputs recorded from saic-mdal/HiDT."""

import pytest
import torch

import ganforge
from ganforge_hidt import convert
from ganforge_hidt.enhancement import realign

from .helpers import FACTS, official_state

DAYTIME = ganforge.DataInfo(fields=frozenset({"label"}), resolution=(64, 64), label_nc=3)


def daytime_networks():
    torch.manual_seed(0)
    g = ganforge.build("generator", {"type": "hidt"}, DAYTIME, check=False).eval()
    e = ganforge.build("encoder", {"type": "hidt_style"}, DAYTIME).eval()
    return g, e


def test_official_generator_outputs(tmp_path):
    g, e = daytime_networks()
    path = tmp_path / "daytime.pt"
    torch.save({f"module.{k}": v for k, v in official_state(FACTS["daytime_keys"]).items()}, path)
    convert.load_official(path, g, e)
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1)).clamp(-1, 1)
    out = FACTS["outputs"]
    with torch.no_grad():
        s = e(x)["style"]
        image, seg = g.decode(g.encode_content(x), ganforge.Condition(style=s.flip(0)))
    torch.testing.assert_close(s.flatten(), torch.tensor(out["style"]), atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(image[1, :, 30, 20:26].flatten(), torch.tensor(out["image_slice"]), atol=1e-4, rtol=1e-3)
    assert image.sum().item() == pytest.approx(out["image_sum"], rel=1e-4)
    assert image.abs().sum().item() == pytest.approx(out["image_abs_sum"], rel=1e-4)
    # the release decodes its 3 segmentation channels with tanh, and so does decode
    torch.testing.assert_close(seg[0, :, 10, 40:44].flatten(), torch.tensor(out["seg_tanh_slice"]),
                               atol=1e-4, rtol=1e-3)
    assert seg.sum().item() == pytest.approx(out["seg_tanh_sum"], rel=1e-4)


def test_official_enhancer_outputs():
    data = ganforge.DataInfo(fields=frozenset({"subimages"}), resolution=(48, 48))
    enh = ganforge.build("generator", {"type": "hidt_enhancer"}, data).eval()
    official = official_state(FACTS["enhancer_keys"])
    enh.load_state_dict(convert.convert_enhancer(official))
    assert convert.enhancer_to_official(enh.state_dict()).keys() == official.keys()
    z = torch.randn(1, 48, 12, 12, generator=torch.Generator().manual_seed(2))
    out = FACTS["outputs"]
    with torch.no_grad():
        y = enh(ganforge.Condition(subimages=z))
    assert list(y.shape) == out["enhancer_shape"]
    torch.testing.assert_close(y[0, :, 20, 10:14].flatten(), torch.tensor(out["enhancer_slice"]), atol=1e-4, rtol=1e-3)
    assert y.sum().item() == pytest.approx(out["enhancer_sum"], rel=1e-4)


def test_realign_matches_official_preprocessing():
    """``enhancement_preprocessing(crops)`` of the official code on crops in [0, 1]
    equals our realignment of the same crops in [-1, 1]."""
    crops = torch.rand(16, 3, 8, 8, generator=torch.Generator().manual_seed(3))
    stack = realign(crops * 2 - 1)
    out = FACTS["outputs"]
    assert list(stack.shape) == out["realign_shape"]
    weights = torch.arange(stack.numel()).view_as(stack).float().sin()
    assert stack.sum().item() == pytest.approx(out["realign_sum"], rel=1e-5)
    assert (stack * weights).sum().item() == pytest.approx(out["realign_weighted_sum"], rel=1e-4)


def test_every_official_key_is_used_and_every_ours_filled():
    g, e = daytime_networks()
    keys = FACTS["daytime_keys"]
    gen, style = convert.split_generator({k: torch.zeros(v) for k, v in keys.items()}, g)
    assert set(gen) == set(g.state_dict()) and set(style) == set(e.state_dict())
    dropped = {k for k in keys if k.endswith(("running_mean", "running_var"))}
    assert len(dropped) == 24  # 2 per AdaIN layer: 10 in the decoder blocks, 2 on the skips
    enh = ganforge.build("generator", {"type": "hidt_enhancer"}, DAYTIME, check=False)
    assert set(convert.convert_enhancer({k: torch.zeros(v) for k, v in FACTS["enhancer_keys"].items()})) \
        == set(enh.state_dict())


def test_unexpected_key_and_wrong_config_are_named(tmp_path):
    g, e = daytime_networks()
    keys = {k: torch.zeros(v) for k, v in FACTS["daytime_keys"].items()}
    with pytest.raises(ganforge.ConfigError, match="unexpected key 'decoder.extra.weight'"):
        convert.split_generator({**keys, "decoder.extra.weight": torch.zeros(1)}, g)
    small = ganforge.build("generator", {"type": "hidt", "decoder_blocks": 4}, DAYTIME, check=False)
    with pytest.raises(ganforge.ConfigError, match="predicts 3860 values, this generator's AdaIN layers take 3092"):
        convert.split_generator(keys, small)
    with pytest.raises(ganforge.DataError, match="trained_models/generator/daytime.pt"):
        convert.load_official(tmp_path / "missing.pt", g, e)

"""Import of SPADE's released checkpoints: the key mapping against official key names and
shapes recorded as facts, and a round trip through the official layout."""

import pytest
import torch

import ganforge
from ganforge import DataInfo
from ganforge_spade import convert

# Facts read off NVlabs/SPADE: state_dict keys and shapes of its networks for a tiny
# config (``--ngf 2 --ndf 2 --label_nc 3 --crop_size 32 --use_vae --n_layers_D 2``, instance
# maps on, no don't-care label; the encoder at ``--crop_size 256``), built with
# ``norm_G=spectralspadesyncbatch3x3`` and ``norm_D = norm_E = spectralinstance``.
GENERATOR_KEY_COUNT = 234  # fc, 7 blocks (4 with a learned shortcut), conv_img


def _spade(prefix, channels):
    """The keys of one SPADE layer (its mask has 3 labels + 1 edge channel)."""
    return [(f"{prefix}.param_free_norm.running_mean", (channels,)),
            (f"{prefix}.param_free_norm.running_var", (channels,)),
            (f"{prefix}.param_free_norm.num_batches_tracked", ()),
            (f"{prefix}.mlp_shared.0.weight", (128, 4, 3, 3)), (f"{prefix}.mlp_shared.0.bias", (128,)),
            (f"{prefix}.mlp_gamma.weight", (channels, 128, 3, 3)), (f"{prefix}.mlp_gamma.bias", (channels,)),
            (f"{prefix}.mlp_beta.weight", (channels, 128, 3, 3)), (f"{prefix}.mlp_beta.bias", (channels,))]


# A subset of the generator's keys: the start, the head block, the first block with a
# learned shortcut, and the output conv.
GENERATOR = [
    ("fc.weight", (32, 256)), ("fc.bias", (32,)),
    ("head_0.conv_0.bias", (32,)), ("head_0.conv_0.weight_orig", (32, 32, 3, 3)),
    ("head_0.conv_0.weight_u", (32,)), ("head_0.conv_0.weight_v", (288,)),
    ("head_0.conv_1.bias", (32,)), ("head_0.conv_1.weight_orig", (32, 32, 3, 3)),
    ("head_0.conv_1.weight_u", (32,)), ("head_0.conv_1.weight_v", (288,)),
    *_spade("head_0.norm_0", 32), *_spade("head_0.norm_1", 32),
    ("up_0.conv_0.bias", (16,)), ("up_0.conv_0.weight_orig", (16, 32, 3, 3)),
    ("up_0.conv_0.weight_u", (16,)), ("up_0.conv_0.weight_v", (288,)),
    ("up_0.conv_1.bias", (16,)), ("up_0.conv_1.weight_orig", (16, 16, 3, 3)),
    ("up_0.conv_1.weight_u", (16,)), ("up_0.conv_1.weight_v", (144,)),
    ("up_0.conv_s.weight_orig", (16, 32, 1, 1)), ("up_0.conv_s.weight_u", (16,)), ("up_0.conv_s.weight_v", (32,)),
    *_spade("up_0.norm_0", 32), *_spade("up_0.norm_1", 16), *_spade("up_0.norm_s", 32),
    ("G_middle_1.norm_1.mlp_beta.bias", (32,)), ("up_3.conv_1.weight_orig", (2, 2, 3, 3)),
    ("conv_img.weight", (3, 2, 3, 3)), ("conv_img.bias", (3,)),
]

DISCRIMINATOR = [
    (f"discriminator_{i}.{key}", shape) for i in range(2) for key, shape in [
        ("model0.0.weight", (2, 7, 4, 4)), ("model0.0.bias", (2,)),
        ("model1.0.0.weight_orig", (4, 2, 4, 4)), ("model1.0.0.weight_u", (4,)), ("model1.0.0.weight_v", (32,)),
        ("model2.0.weight", (1, 4, 4, 4)), ("model2.0.bias", (1,))]
]

ENCODER = [
    ("layer1.0.weight_orig", (2, 3, 3, 3)), ("layer1.0.weight_u", (2,)), ("layer1.0.weight_v", (27,)),
    ("layer2.0.weight_orig", (4, 2, 3, 3)), ("layer2.0.weight_u", (4,)), ("layer2.0.weight_v", (18,)),
    ("layer3.0.weight_orig", (8, 4, 3, 3)), ("layer3.0.weight_u", (8,)), ("layer3.0.weight_v", (36,)),
    ("layer4.0.weight_orig", (16, 8, 3, 3)), ("layer4.0.weight_u", (16,)), ("layer4.0.weight_v", (72,)),
    ("layer5.0.weight_orig", (16, 16, 3, 3)), ("layer5.0.weight_u", (16,)), ("layer5.0.weight_v", (144,)),
    ("layer6.0.weight_orig", (16, 16, 3, 3)), ("layer6.0.weight_u", (16,)), ("layer6.0.weight_v", (144,)),
    ("fc_mu.weight", (256, 256)), ("fc_mu.bias", (256,)), ("fc_var.weight", (256, 256)), ("fc_var.bias", (256,)),
]

TINY = DataInfo(fields=frozenset({"label", "instance"}), resolution=(32, 32), label_nc=3)
NETWORKS = {  # the tiny config the facts above were recorded with
    "generator": {"type": "spade", "ngf": 2, "use_vae": True},
    "discriminator": {"type": "multiscale_patch", "ndf": 2, "n_layers": 2},
    "encoder": {"type": "spade_vae", "ndf": 2},
}


def build(kind, seed=0, **overrides):
    torch.manual_seed(seed)
    return ganforge.build(kind, {**NETWORKS[kind], **overrides}, TINY)


@pytest.mark.parametrize("kind, facts", [("generator", GENERATOR),
                                         ("discriminator", DISCRIMINATOR),
                                         ("encoder", ENCODER)])
def test_official_keys_map_onto_ours_with_their_shapes(spade, kind, facts):
    model = build(kind)
    ours = model.state_dict()
    names = convert.official_names(model)
    inverse = {theirs: mine for mine, theirs in names.items()}
    assert len(inverse) == len(names)  # one-to-one
    for key, shape in facts:
        assert key in inverse, f"official key {key} has no counterpart"
        assert tuple(ours[inverse[key]].shape) == shape, key
    if kind == "generator":
        assert len(names) == GENERATOR_KEY_COUNT
    else:
        assert set(inverse) == {k for k, _ in facts}


def test_generator_block_names(spade):
    names = convert.official_names(build("generator"))
    assert names["blocks.0.conv_0.parametrizations.weight.original"] == "head_0.conv_0.weight_orig"
    assert names["blocks.2.norm_1.mlp_shared.0.weight"] == "G_middle_1.norm_1.mlp_shared.0.weight"
    assert names["blocks.3.conv_s.parametrizations.weight.0._v"] == "up_0.conv_s.weight_v"
    most = ganforge.build("generator", {"type": "spade", "ngf": 2, "num_upsampling_layers": "most"},
                          TINY.model_copy(update={"resolution": (128, 128)}))
    assert "up_4.conv_1.weight_orig" in convert.official_names(most).values()


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_round_trip_through_the_official_layout(spade, kind, tmp_path):
    source, target = build(kind, seed=0), build(kind, seed=1)
    path = tmp_path / f"latest_net_{kind[0].upper()}.pth"
    torch.save(convert.to_official(source), path)
    convert.load_official(target, path)
    for a, b in zip(source.state_dict().values(), target.state_dict().values()):
        assert torch.equal(a, b)
    source.eval(), target.eval()
    image = torch.rand(2, 3, 32, 32) * 2 - 1
    cond = ganforge.Condition(label=torch.randint(0, 3, (2, 32, 32)), instance=torch.randint(0, 2, (2, 32, 32)),
                              z=torch.randn(2, 256))
    if kind == "generator":
        assert torch.equal(source(cond), target(cond))
    elif kind == "discriminator":
        assert torch.equal(source(image, cond).scores[1], target(image, cond).scores[1])
    else:
        assert torch.equal(source(image)["mu"], target(image)["mu"])


def test_a_checkpoint_of_another_config_is_refused_by_name(spade):
    official = convert.to_official(build("generator"))
    wider = ganforge.build("generator", {"type": "spade", "ngf": 2, "use_vae": True},
                           TINY.model_copy(update={"label_nc": 4}))
    with pytest.raises(ganforge.ConfigError, match=r"head_0.norm_0.mlp_shared.0.weight: \(128, 4, 3, 3\) in the "
                                                   r"file, \(128, 5, 3, 3\) here"):
        convert.from_official(wider, official)
    deterministic = ganforge.build("generator", {"type": "spade", "ngf": 2}, TINY)
    with pytest.raises(ganforge.ConfigError, match="missing: fc.bias, fc.weight"):
        convert.from_official(deterministic, {k: v for k, v in official.items() if not k.startswith("fc.")})
    with pytest.raises(ganforge.DataError, match="nowhere/latest_net_G.pth: no such file"):
        convert.load_official(deterministic, "nowhere/latest_net_G.pth")
    with pytest.raises(TypeError, match="no SPADE checkpoint layout"):
        convert.official_names(torch.nn.Linear(2, 2))

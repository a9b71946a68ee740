"""Import of rosinality/stylegan2-pytorch checkpoints, checked against facts recorded from
the official code: its 256 px config-f key layout with shapes, and the outputs of an 8 px
official model with seeded weights."""

import pytest
import torch

import ganforge
from ganforge_stylegan2.convert import (DISCRIMINATOR_RULES, GENERATOR_RULES, NOISE, SKIPPED, _target,
                                        convert_state_dict, import_official)
from ganforge_stylegan2.discriminator import StyleGAN2Discriminator, StyleGAN2DiscriminatorParams
from ganforge_stylegan2.generator import StyleGAN2Generator, StyleGAN2GeneratorParams, style_mix

from .helpers import data_info, fact, filled, full_size, rosinality_layout


def test_the_derived_layout_is_the_recorded_official_one():
    official = fact("rosinality_256_state_dict.json")
    derived = rosinality_layout(256, 512, 8)
    assert derived["generator"] == official["generator"]
    assert derived["discriminator"] == official["discriminator"]
    assert (len(official["generator"]), len(official["discriminator"])) == (135, 50)


@pytest.mark.parametrize("net", ["generator", "discriminator"])
def test_every_official_256_key_maps_onto_ours_with_its_size(net):
    official = fact("rosinality_256_state_dict.json")[net]
    ours = full_size(net, 256)
    converted = convert_state_dict({k: torch.empty(v) for k, v in official.items()}, ours,
                                   GENERATOR_RULES if net == "generator" else DISCRIMINATOR_RULES, net)
    expected = set(ours.state_dict()) - {"mapping_network.w_avg"}
    assert set(converted) == expected
    assert all(converted[k].shape == ours.state_dict()[k].shape for k in converted)
    skipped = [k for k in official if SKIPPED.fullmatch(k)]  # blur kernels (up convs, tRGB skips)
    noises = [k for k in official if NOISE.fullmatch(k)]  # fixed noise maps, kept only with noise: fixed
    assert (len(skipped), len(noises)) == {"generator": (6 + 6, 13), "discriminator": (2 * 6, 0)}[net]


def test_fixed_noise_maps_map_onto_a_generator_that_keeps_them():
    official = fact("rosinality_256_state_dict.json")["generator"]
    G = StyleGAN2Generator(StyleGAN2GeneratorParams(noise="fixed"), data_info(256))
    converted = convert_state_dict({k: torch.empty(v) for k, v in official.items()}, G, GENERATOR_RULES, "g_ema")
    assert set(converted) == set(G.state_dict()) - {"mapping_network.w_avg"}
    assert [tuple(converted[f"synthesis_network.noise_{i}"].shape)[-1] for i in range(13)] == \
        [4, 8, 8, 16, 16, 32, 32, 64, 64, 128, 128, 256, 256]
    without = {k: torch.empty(v) for k, v in official.items() if not k.startswith("noises.")}
    with pytest.raises(ganforge.DataError, match="no weights for synthesis_network.noise_0.*noise: random"):
        convert_state_dict(without, G, GENERATOR_RULES, "g_ema")


def test_key_mapping_examples():
    assert _target("style.1.weight", GENERATOR_RULES) == "mapping_network.layers.0.weight"
    assert _target("convs.3.noise.weight", GENERATOR_RULES) == "synthesis_network.blocks.2.convs.1.noise_strength"
    assert _target("to_rgbs.0.bias", GENERATOR_RULES) == "synthesis_network.blocks.1.torgb.bias"
    assert _target("convs.1.skip.1.weight", DISCRIMINATOR_RULES) == "blocks.0.skip.weight"


def test_imported_8px_model_reproduces_the_official_outputs():
    """Same seeded weights, latents and noise as recorded from rosinality's model: our
    networks give the same image (with style mixing at layer 2) and logits."""
    layout = rosinality_layout(8, 8, 2)
    state = {"g_ema": filled(layout["generator"], 1), "d": filled(layout["discriminator"], 2)}
    data = data_info(8)
    make = lambda: StyleGAN2Generator(StyleGAN2GeneratorParams(z_dim=8, w_dim=8, mapping_layers=2), data)  # noqa: E731
    D = StyleGAN2Discriminator(StyleGAN2DiscriminatorParams(), data)
    nets = import_official(state, make, D)
    G = make().eval()
    G.load_state_dict(nets["ema"])
    D.load_state_dict(nets["discriminator"])
    gen = torch.Generator().manual_seed(3)
    z, z2 = torch.randn(2, 8, generator=gen), torch.randn(2, 8, generator=gen)
    noise = [torch.randn(2, *s, generator=gen) for s in G.noise_shapes()]
    x = torch.randn(4, 3, 8, 8, generator=gen)
    expand = lambda w: w[:, None].expand(-1, G.num_ws, -1)  # noqa: E731
    with torch.no_grad():
        image = G.synthesis(style_mix(expand(G.mapping(z)), expand(G.mapping(z2)), 2), noise)
        logits = D(x, ganforge.Condition()).scores[0]
    official = fact("rosinality_8px_outputs.json")
    torch.testing.assert_close(image.flatten(), torch.tensor(official["image"]), atol=2e-5, rtol=1e-4)
    torch.testing.assert_close(logits.flatten(), torch.tensor(official["logits"]), atol=2e-5, rtol=1e-4)


def test_a_checkpoint_of_another_resolution_is_refused_with_the_key():
    layout = rosinality_layout(16, 8, 2)
    G = StyleGAN2Generator(StyleGAN2GeneratorParams(z_dim=8, w_dim=8, mapping_layers=2), data_info(8))
    with pytest.raises(ganforge.DataError, match=r"checkpoint\['g_ema'\]: unexpected key 'convs\.2\."):
        convert_state_dict(filled(layout["generator"], 0), G, GENERATOR_RULES, "checkpoint['g_ema']")


def test_a_wrong_width_is_refused_with_both_shapes():
    layout = rosinality_layout(8, 8, 2)
    G = StyleGAN2Generator(StyleGAN2GeneratorParams(z_dim=16, w_dim=16, mapping_layers=2), data_info(8))
    with pytest.raises(ganforge.DataError, match=r"g: conv1\.conv\.modulation\.weight has shape \(512, 8\), "
                                                 r"the network expects \(512, 16\)"):
        convert_state_dict(filled(layout["generator"], 0), G, GENERATOR_RULES, "g")

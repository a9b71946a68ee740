"""The class-conditional BigGAN with AN and the inpainting networks: parameter counts at the
paper's configurations, shapes, and errors that name the component."""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge import Condition, DataInfo

# Facts. BigGAN-PyTorch (ajbrock/BigGAN-PyTorch, BigGAN.py) built at its ImageNet 128 setting
# (G_ch = D_ch = 96, dim_z 120, shared_dim 128, hier, G_attn = D_attn = '64', 1000 classes):
BIGGAN_G, BIGGAN_D, BIGGAN_G_ATTENTION = 70_433_988, 87_982_370, 46_081
# The TF AN layer (att_normalization) on C channels: key and query 1x1 C -> C/8 with bias,
# value 1x1 C -> C with bias, n x C mask filters, n alphas and the scalar sigma.
def tf_an(c: int, n: int = 16) -> int:
    return 2 * (c * (c // 8) + c // 8) + c * c + c + n * c + n + 1
# The TF inpainting net (net/network.py, g_cnum 32, d_cnum 64, 256x256), counted by hand from its
# layers: generator 3_767_558 convs + AN(128) = 3_790_263; the mask discriminator (global critic
# as the "original implementation" without the undefined self_attention, and the patch critic).
TF_INPAINT_G, TF_INPAINT_D = 3_790_263, 12_724_354


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_imagenet128_counts_equal_biggan_with_an_in_place_of_attention(an):
    data = DataInfo(fields=frozenset({"class_label"}), resolution=(128, 128), num_classes=1000)
    with torch.device("meta"):
        g = ganforge.build("generator", {"type": "an_biggan"}, data)
        d = ganforge.build("discriminator", {"type": "an_projection"}, data)
    assert count(g.attention) == tf_an(192) == 49_409  # AN on the 64x64 block's 2 x 96 channels
    assert count(g) == BIGGAN_G - BIGGAN_G_ATTENTION + tf_an(192) == 70_437_316
    assert count(d) == BIGGAN_D


def test_inpainting_counts_equal_the_tf_network(an):
    data = DataInfo(fields=frozenset({"mask", "masked_image"}), resolution=(256, 256))
    with torch.device("meta"):
        g = ganforge.build("generator", {"type": "an_inpainting"}, data)
        d = ganforge.build("discriminator", {"type": "an_inpainting"}, data)
    assert count(g.attention) == tf_an(128)
    assert (count(g), count(d)) == (TF_INPAINT_G, TF_INPAINT_D)


def test_biggan_is_class_conditional_and_places_an_where_asked(an):
    data = DataInfo(fields=frozenset({"domain"}), resolution=(32, 32), num_domains=3)
    torch.manual_seed(0)
    g = ganforge.build("generator", {"type": "an_biggan", "ch": 4, "condition_field": "domain",
                                     "an_resolutions": [16, 32]}, data).eval()
    assert sorted(g.attention) == ["1", "2"]  # after the 16x16 and the 32x32 blocks
    z = torch.randn(1, 120).expand(3, 120)
    for m in g.attention.values():
        torch.nn.init.constant_(m.rho, 1.0)
    out = g(Condition(domain=torch.tensor([0, 1, 2]), z=z))
    assert out.shape == (3, 3, 32, 32) and out.abs().max() <= 1
    assert not torch.allclose(out[0], out[1])  # same z, another class
    with pytest.raises(ganforge.DataError, match=r"'domain' has ids in \[3, 3\], expected \[0, 3\)"):
        g(Condition(domain=torch.tensor([3]), z=z[:1]))


def test_projection_discriminator_scores_depend_on_the_class(an):
    data = DataInfo(fields=frozenset({"class_label"}), resolution=(32, 32), num_classes=4)
    torch.manual_seed(0)
    d = ganforge.build("discriminator", {"type": "an_projection", "ch": 4}, data)
    x = torch.randn(1, 3, 32, 32).expand(2, 3, 32, 32)
    s = d(x, Condition(class_label=torch.tensor([0, 1]))).scores[0]
    assert s.shape == (2, 1) and s[0] != s[1]


@pytest.mark.parametrize("kind, name, resolution, match", [
    ("generator", "an_biggan", (48, 48), r"'an_biggan'.*\(48, 48\).*\[32, 64, 128, 256\]"),
    ("discriminator", "an_projection", (32, 64), r"'an_projection'.*\(32, 64\)"),
    ("discriminator", "an_inpainting", (96, 96), r"'an_inpainting'.*96x96.*divisible by 64"),
])
def test_bad_resolutions_are_named(an, kind, name, resolution, match):
    data = DataInfo(fields=frozenset({"class_label", "mask"}), resolution=resolution, num_classes=2)
    with pytest.raises(ganforge.ConfigError, match=match):
        ganforge.build(kind, {"type": name}, data, check=False)


def test_biggan_needs_classes(an):
    with pytest.raises(ganforge.ConfigError, match=r"'an_biggan'.*no classes for condition field 'class_label'"):
        ganforge.build("generator", {"type": "an_biggan", "ch": 2, "an_resolutions": [16]},
                       DataInfo(fields=frozenset({"class_label"}), resolution=(32, 32)))
    with pytest.raises(ganforge.ConfigError, match=r"an_resolutions \[64\] are no block outputs at 32 px \(choose from \[8, 16, 32\]\)"):
        ganforge.build("generator", {"type": "an_biggan", "ch": 2, "an_resolutions": [64]},
                       DataInfo(fields=frozenset({"class_label"}), resolution=(32, 32), num_classes=2))


def test_inpainting_generator_keeps_known_pixels_out_of_its_input(an):
    """The prediction depends on the hole's content only through the zeroed input."""
    data = DataInfo(fields=frozenset({"mask", "masked_image"}), resolution=(64, 64))
    torch.manual_seed(0)
    g = ganforge.build("generator", {"type": "an_inpainting", "cnum": 4}, data).eval()
    mask = torch.zeros(1, 1, 64, 64)
    mask[..., 16:48, 16:48] = 1
    image = torch.rand(1, 3, 64, 64) * 2 - 1
    other = torch.where(mask.bool(), -image, image)  # differs only inside the hole
    coarse, fine = g.stages(Condition(mask=mask, masked_image=image))
    assert coarse.shape == fine.shape == (1, 3, 64, 64)
    assert torch.equal(fine, g(Condition(mask=mask, masked_image=other)))

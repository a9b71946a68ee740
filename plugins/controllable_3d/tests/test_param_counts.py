"""Parameter counts against the official code (autonomousvision/controllable_image_synthesis,
configs/default.yaml: point primitives, n_prim 3, z 128), counted by hand from its modules
because it imports neural_renderer's compiled CUDA extension."""

import ganforge
from ganforge import DataInfo

# Generator3D: mlp_tr 64-128-256-512-36 (12 pose values x 3) and mlp_feat 64-128-256-512-576
# (32 points x (3 + 3) x 3): 191,396 + 468,416.
OFFICIAL_GENERATOR_3D = 659_812
# Generator2D without the input conv and the AdaIN MLP: 4 ResnetBlocks (128, 256, 256, 128
# wide: 2 x 295,168 + 2 x 1,180,160), the stride-2 conv + BN (525,056), the transposed conv +
# BN (524,672), conv_img 128 -> 5 (5,765).
OFFICIAL_GENERATOR_2D_TRUNK = 4_006_149
# Its AdaIN MLP 128-256-256-(3 primitives x 3,072 AdaIN values) and its input conv (3 -> 128).
OFFICIAL_ADAIN_MLP, OFFICIAL_CONV_IN = 2_467_328, 3_584
# SN-GAN ResNet discriminator, DISC_SIZE 128 (learnable weights; the vendored SpectralNorm also
# stores u, v and weight_bar as nn.Parameters, which we keep as buffers).
OFFICIAL_DISCRIMINATOR = 1_070_337


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_counts_match_the_official_default(c3d):
    data = DataInfo(fields=frozenset({"z"}), resolution=(64, 64))
    G = ganforge.build("generator", {"type": "controllable_3d"}, data)
    D = ganforge.build("discriminator", {"type": "sngan_resnet"}, data)
    g2d = G.generator_2d
    norms = sum(count(m) for m in g2d.modules() if isinstance(m, ganforge.Normalizer))
    assert count(G.generator_3d) == OFFICIAL_GENERATOR_3D
    assert count(g2d) - norms - count(g2d.conv_img_in) == OFFICIAL_GENERATOR_2D_TRUNK
    assert count(D) == OFFICIAL_DISCRIMINATOR
    assert count(g2d.conv_img_in) == OFFICIAL_CONV_IN
    # Where we differ (README): the style path is factorised for the norm slot: an MLP
    # 128-256-256-(3 objects x 256) (296,192) then one linear per AdaIN (789,504), instead of
    # one 2,467,328-weight MLP.
    assert count(G.style_mlp) == 296_192 and norms == 789_504
    assert count(G) == OFFICIAL_GENERATOR_3D + OFFICIAL_GENERATOR_2D_TRUNK + OFFICIAL_CONV_IN + 296_192 + 789_504

"""Facts read off NVlabs/SPADE: state_dict keys and shapes of its networks for a tiny
config (``--ngf 2 --ndf 2 --label_nc 3 --crop_size 32 --use_vae --n_layers_D 2``, instance
maps on, no don't-care label; the encoder at ``--crop_size 256``), built with
``norm_G=spectralspadesyncbatch3x3`` and ``norm_D = norm_E = spectralinstance``."""

GENERATOR_KEY_COUNT = 234  # fc, 7 blocks (4 with a learned shortcut), conv_img


def _spade(prefix, channels):
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

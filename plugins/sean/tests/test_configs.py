"""The shipped configs: each one validates against its dataset's description, and the
CelebAMask-HQ config builds networks with exactly the official parameter counts."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ganforge import DataInfo
from ganforge.config import load_config, verify
from ganforge.trainer import build_networks, parameter_counts
from ganforge_sean.convert import official_targets

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
LABELS = frozenset({"label"})
# What each dataset provides (the datasets are not on this machine; the synthetic world is).
DATA = {
    "celebamask_hq": DataInfo(fields=LABELS, resolution=(256, 256), label_nc=19),
    "ade20k": DataInfo(fields=LABELS, resolution=(256, 256), label_nc=150, contain_dontcare_label=True),
    "cityscapes": DataInfo(fields=LABELS | {"instance"}, resolution=(256, 512), label_nc=35),
    "facades": DataInfo(fields=LABELS, resolution=(256, 256), label_nc=12),
}

# Counted by instantiating the official networks (github.com/ZPdesu/SEAN, commit 04c7536,
# models/networks/generator.py and discriminator.py) with the README's CelebAMask-HQ
# options: --label_nc 19 --no_instance --crop_size 256, ngf = ndf = 64, n_layers_D 3, num_D 2.
OFFICIAL_G = 266_907_367  # the official SPADEGenerator, which holds the Zencoder
OFFICIAL_ZENCODER = 1_568_576
OFFICIAL_D = 1_364_098
# The official up_3 block builds its three ACE layers with use_rgb=False but still creates
# their blending_gamma/beta (one scalar each), which its forward never reads; we do not.
OFFICIAL_DEAD_BLENDING = 6

# Facts of the official CelebAMask-HQ generator (SPADEGenerator with --label_nc 19
# --no_instance, ngf 64): its state_dict has 982 tensors; 54 of them are the running
# statistics of the inner SPADE's unused normalisation (18 ACE layers x 3) and 6 the
# never-read blending weights of up_3's three style-free ACE layers.
OFFICIAL_TENSORS, OFFICIAL_SKIPPED = 982, 54 + 6
OFFICIAL_SHAPES = {
    "Zencoder.model.14.weight": (512, 256, 3, 3),
    "fc.weight": (1024, 19, 3, 3),
    "head_0.conv_0.weight_orig": (1024, 1024, 3, 3),
    "head_0.conv_0.weight_v": (9216,),
    "head_0.ace_0.noise_var": (1024,),
    "head_0.ace_0.Spade.mlp_shared.0.weight": (128, 19, 3, 3),
    "head_0.ace_0.param_free_norm.running_var": (1024,),
    "head_0.ace_1.fc_mu18.weight": (512, 512),
    "head_0.ace_1.conv_gamma.weight": (1024, 512, 3, 3),
    "up_0.conv_s.weight_orig": (512, 1024, 1, 1),
    "up_3.ace_s.Spade.mlp_gamma.weight": (128, 128, 3, 3),
    "conv_img.weight": (3, 64, 3, 3),
}


def test_every_config_is_shipped():
    assert sorted(p.stem for p in CONFIGS.glob("*.yaml")) == sorted([*DATA, "synthetic"])


@pytest.mark.parametrize("name", sorted(DATA))
def test_paper_config_validates(registry, name):
    exp = load_config(CONFIGS / f"{name}.yaml", check=False)
    info = verify(exp, DATA[name], source=name)
    assert "region_style" in info.fields  # provided by the configured style encoder
    assert exp.models["generator"].type == "sean" and exp.models["encoder"].type == "sean_style"
    assert exp.strategy.type == "paired_conditional"
    assert exp.optim["generator"].lr == 1e-4 and exp.optim["discriminator"].lr == 4e-4


def test_synthetic_config_validates_against_the_synthetic_world(registry):
    exp = load_config(CONFIGS / "synthetic.yaml")
    info = verify(exp)
    assert info.resolution == (64, 64) and info.fields == {"label", "region_style"}


def test_celebamask_hq_config_matches_the_official_networks(registry):
    """Parameter counts, and every tensor of the official checkpoint with its shape.
    Built on the meta device, so 266M parameters cost no memory; ``init_type: none``
    only skips the (slow on meta) initialisation arithmetic and changes no count."""
    skip_init = [f"models.{path}.init_type=none" for path in
                 ("generator", "generator.norm", "generator.final_norm", "encoder", "discriminator")]
    exp = load_config(CONFIGS / "celebamask_hq.yaml", skip_init, check=False)
    info = verify(exp, DATA["celebamask_hq"])
    with torch.device("meta"):
        models, _ = build_networks(exp, info)
    counts = {role: c["total"] for role, c in parameter_counts(models).items()}
    assert counts == {"generator": 265_338_785, "discriminator": OFFICIAL_D, "encoder": OFFICIAL_ZENCODER}
    assert counts["generator"] + counts["encoder"] + OFFICIAL_DEAD_BLENDING == OFFICIAL_G

    targets = official_targets(models["generator"], models["encoder"])
    assert len(targets) == OFFICIAL_TENSORS - OFFICIAL_SKIPPED
    states = {role: models[role].state_dict() for role in ("generator", "encoder")}
    for key, shape in OFFICIAL_SHAPES.items():
        role, ours, row = targets[key]
        have = states[role][ours].shape
        assert tuple(have if row is None else have[1:]) == shape, key
    assert "up_3.ace_0.fc_mu0.weight" not in targets and "up_2.ace_s.fc_mu18.bias" in targets


@pytest.mark.parametrize("name", sorted(DATA))
def test_discriminator_has_seans_stride_two_in_every_hidden_conv(name):
    """Official SEAN models/networks/discriminator.py NLayerDiscriminator: every conv before
    the score conv has stride 2 (SPADE's makes the last hidden one stride 1), so with
    n_layers_D 3 a 64-pixel scale ends in a 10x10 score map: 64 -> 33 -> 17 -> 9 -> 10
    (kernel 4, padding 2)."""
    import ganforge

    exp = load_config(CONFIGS / f"{name}.yaml", check=False)
    spec = exp.models["discriminator"].model_dump()
    data = DATA[name].model_copy(update={"resolution": (64, 64)})
    d = ganforge.build("discriminator", {**spec, "ndf": 4, "max_channels": 8}, data)
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    per_scale = len(convs) // spec["num_D"]
    assert [c.stride for c in convs[:per_scale]] == [(2, 2)] * (per_scale - 1) + [(1, 1)]
    x = torch.zeros(1, sum(c.in_channels for c in convs[:1]), 64, 64)
    assert d.scales[0](x)[-1].shape[-2:] == (10, 10)

"""SMIS mixing: SEAN's normalizer inside GroupDNet's decoder.

GroupDNet's encoder provides one code per class as the condition field ``region_style``
(B, K, D): the decoder starts from them, and SEAN's normalizer reads the same matrix as
its per-region style codes, so SEAN's style branch is driven by SMIS's class-specific
VAE codes. The config is checked before training, trains with the real trainer, and its
losses go down.
"""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge.config import from_dict, verify
from ganforge.testing import short_run, window_means
from ganforge.trainer import build_networks

CODE_DIM = 8  # 8 code channels x 1 x 1 at 32 px with 'normal' upsampling


def config() -> dict:
    return {
        "data": {"type": "synthetic", "resolution": 32, "length": 64, "fields": ["label"], "num_domains": 1,
                 "stuff": ["sky", "ground"], "things": ["disc", "box"]},  # K = 4 classes
        "models": {
            "generator": {"type": "groupdnet", "ngf": 4, "num_upsampling_layers": "normal",
                          "groups": [4, 4, 2, 2, 1, 1, 1],
                          "norm": {"type": "sean", "style_length": CODE_DIM, "nhidden": 8}},
            "encoder": {"type": "groupdnet", "ndf": 8, "num_upsampling_layers": "normal", "norm": "none"},
            "discriminator": {"type": "multiscale_patch", "ndf": 8, "n_layers": 2},
        },
        "strategy": {"type": "paired_conditional", "vgg": None},
        "optim": {"generator": {"lr": 0.0004, "betas": [0.0, 0.9]},
                  "discriminator": {"lr": 0.0004, "betas": [0.0, 0.9]}},
        "train": {"batch_size": 4, "precision": "fp32", "seed": 0},
    }


def test_config_validates_and_puts_sean_in_every_block(ganforge_registry):
    exp = from_dict(config())
    info = verify(exp)
    assert "region_style" in info.fields  # provided by GroupDNet's encoder
    models, _ = build_networks(exp, info)
    blocks = models["generator"].blocks
    norms = {type(getattr(b, n)).__name__ for b in blocks for n in ("norm_0", "norm_1", "norm_s") if hasattr(b, n)}
    assert len(blocks) == 7 and norms == {"SEAN"}


def test_without_the_encoder_the_config_is_refused_before_training(ganforge_registry):
    tree = config()
    del tree["models"]["encoder"]
    with pytest.raises(ganforge.ConditionMismatch, match="normalizer 'sean' needs condition field 'region_style'"):
        verify(from_dict(tree))


def test_sean_in_groupdnet_trains_and_its_loss_goes_down(ganforge_registry, tmp_path):
    logs = short_run(config(), tmp_path, steps=24)
    assert len(logs) == 24 and {"d_loss", "g_gan", "g_feat", "kld"} <= set(logs[-1])  # kld: SMIS's VAE term
    assert all(torch.isfinite(torch.tensor(list(step.values()))).all() for step in logs)
    first, last = window_means(logs, "d_loss", 6)
    assert last < first  # the discriminator learns to tell the mix's images from real ones

"""SEAN's style encoder (plugins/sean, ``sean_style``) feeding SPADE's generator
(plugins/spade, ``spade``) through the Condition: the encoder's per-region style codes
reach SEAN normalizers placed in SPADE's generator, trained by SPADE's recipe."""

from __future__ import annotations

import copy

import pytest
import torch

import ganforge
from ganforge.config import from_dict, verify
from ganforge.testing import short_run, window_means

D = {"type": "multiscale_patch", "ndf": 8, "n_layers": 2, "num_D": 1}
CONFIG = {
    "data": {"type": "synthetic", "resolution": 32, "fields": ["label"], "length": 64},
    "models": {
        "generator": {"type": "spade", "ngf": 8, "norm": {"type": "sean", "style_length": 8, "nhidden": 8}},
        "encoder": {"type": "sean_style", "style_length": 8, "ngf": 4},
        "discriminator": D,
    },
    "strategy": {"type": "paired_conditional", "vgg": None},
    "optim": {"generator": {"lr": 1e-3, "betas": [0.0, 0.9]}, "discriminator": {"lr": 2e-3, "betas": [0.0, 0.9]}},
    "train": {"batch_size": 4, "precision": "fp32", "seed": 0},
}


def test_the_mix_validates_and_trains(ganforge_registry, tmp_path):
    info = verify(from_dict(CONFIG))
    assert {"label", "region_style"} <= info.fields  # region_style: what sean_style provides
    logs = short_run(CONFIG, tmp_path, 16)
    assert len(logs) == 16 and {"d_loss", "g_gan", "g_feat"} <= set(logs[-1])
    first, last = window_means(logs, "d_loss", 4)
    assert last < first  # the discriminator learns to tell the mix's images from real ones


def test_without_the_style_encoder_the_region_styles_are_missing(ganforge_registry):
    config = copy.deepcopy(CONFIG)
    del config["models"]["encoder"]
    with pytest.raises(ganforge.ConditionMismatch, match=r"models.generator.*'region_style'"):
        verify(from_dict(config))


def test_the_encoders_styles_drive_spades_generator(ganforge_registry):
    """Two images with one label map: their region styles give two different outputs."""
    data = ganforge.DataInfo(fields=frozenset({"label", "region_style"}), label_nc=4, resolution=(32, 32))
    torch.manual_seed(0)
    encoder = ganforge.build("encoder", CONFIG["models"]["encoder"], data)
    generator = ganforge.build("generator", CONFIG["models"]["generator"], data)
    label = torch.randint(0, 4, (1, 32, 32)).expand(2, 32, 32)
    cond = ganforge.Condition(label=label)
    styles = encoder(torch.rand(2, 3, 32, 32) * 2 - 1, cond)["region_style"]
    assert styles.shape == (2, 4, 8)
    out = generator(cond.replace(region_style=styles))
    out.mean().backward()
    assert not torch.allclose(out[0], out[1])
    assert all(p.grad is not None for p in encoder.parameters())  # the generator's loss reaches the encoder

"""CoCosNet's correspondence network (plugins/cocosnet, ``cocosnet_correspondence``) as
the conditioning of SPADE's generator (plugins/spade, ``spade``): the encoder warps the
exemplar into the label map's geometry (condition field ``warped_exemplar``), CoCosNet's
normalizer (``cocosnet_spade``) reads it inside SPADE's residual blocks, SPADE's recipe
trains the mix, and CoCosNet's pairing strategy gives the synthetic world its exemplars."""

from __future__ import annotations

import copy

import pytest
import torch

import ganforge
from ganforge.config import from_dict, verify
from ganforge.testing import short_run, window_means

# 64x64: SPADE's generator starts at 1/32 and CoCosNet's normalizer pads by reflection,
# which needs at least 2x2.
CONFIG = {
    "data": {"type": "synthetic", "resolution": 64, "fields": ["label"], "length": 64, "num_domains": 1},
    "models": {
        "generator": {"type": "spade", "ngf": 4,
                      "norm": {"type": "cocosnet_spade", "nhidden": 8, "inputs": ["warped_exemplar", "label"]}},
        "encoder": {"type": "cocosnet_correspondence", "ngf": 4, "match_channels": 8},
        "discriminator": {"type": "multiscale_patch", "ndf": 8, "n_layers": 2, "num_D": 1},
    },
    "strategy": {"type": "paired_conditional", "vgg": None},
    "strategies": [{"type": "cocosnet_pairing"}],
    "optim": {"generator": {"lr": 1e-3, "betas": [0.0, 0.9]}, "discriminator": {"lr": 2e-3, "betas": [0.0, 0.9]}},
    "train": {"batch_size": 4, "precision": "fp32", "seed": 0},
}


def test_the_mix_validates_and_trains(ganforge_registry, tmp_path):
    info = verify(from_dict(CONFIG))
    # exemplar, exemplar_label: the pairing strategy; warped_exemplar: the correspondence encoder
    assert {"label", "exemplar", "exemplar_label", "warped_exemplar"} <= info.fields
    logs = short_run(CONFIG, tmp_path, 20)
    assert len(logs) == 20 and {"d_loss", "g_gan", "g_feat"} <= set(logs[-1])
    first, last = window_means(logs, "d_loss", 5)
    assert last < first  # the discriminator learns to tell the mix's images from real ones


def test_without_the_pairing_there_is_no_exemplar_to_warp(ganforge_registry):
    config = copy.deepcopy(CONFIG)
    config["strategies"] = []
    with pytest.raises(ganforge.ConditionMismatch, match=r"models.encoder.*'exemplar'"):
        verify(from_dict(config))


def test_the_warped_exemplar_drives_spades_generator(ganforge_registry):
    """One label map, two exemplars: two different outputs, and the generator's loss
    reaches the correspondence network through the warp."""
    data = ganforge.DataInfo(fields=frozenset({"label", "exemplar", "exemplar_label", "warped_exemplar"}),
                             label_nc=4, resolution=(64, 64))
    torch.manual_seed(0)
    encoder = ganforge.build("encoder", CONFIG["models"]["encoder"], data)
    generator = ganforge.build("generator", CONFIG["models"]["generator"], data)
    label = torch.randint(0, 4, (1, 64, 64)).expand(2, 64, 64)
    exemplars = torch.stack([torch.full((3, 64, 64), -0.5), torch.full((3, 64, 64), 0.5)])
    cond = ganforge.Condition(label=label, exemplar=exemplars, exemplar_label=label)
    warped = encoder(None, cond)["warped_exemplar"]
    assert torch.allclose(warped, exemplars, atol=1e-5)  # flat exemplars warp to themselves
    out = generator(cond.replace(warped_exemplar=warped))
    out.mean().backward()
    assert not torch.allclose(out[0], out[1])
    assert encoder.theta.weight.grad is not None and encoder.theta.weight.grad.abs().sum() > 0

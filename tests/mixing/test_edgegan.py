"""EdgeGAN's components mixed with SPADE's (plugins/spade):

* EdgeGAN's edge encoder E (``edgegan_edge``: a sketch -> latent z) feeds SPADE's generator
  in its VAE mode (``use_vae``: it starts from the condition's z), trained by SPADE's
  recipe with its KL term on E's (mu, log sigma): the sketch steers SPADE's synthesis.
* EdgeGAN's background stage (pix2pix U-Net, ``edgegan_background``) takes SPADE's
  normalizer through its ``norm`` slot: the label map modulates the U-Net's features.
"""

from __future__ import annotations

import copy

import pytest
import torch

import ganforge
from ganforge.config import from_dict, verify
from ganforge.testing import short_run, window_means

SKETCH_TO_SPADE = {
    "data": {"type": "synthetic", "resolution": 32, "fields": ["label", "sketch"], "length": 64, "num_domains": 1},
    "models": {
        "generator": {"type": "spade", "ngf": 8, "use_vae": True, "z_dim": 8, "norm": {"type": "spade", "nhidden": 8}},
        "encoder": {"type": "edgegan_edge", "z_dim": 8, "nef": 4, "size": 32, "field": "sketch"},
        "discriminator": {"type": "multiscale_patch", "ndf": 8, "n_layers": 2, "num_D": 1},
    },
    "strategy": {"type": "paired_conditional", "vgg": None},
    "optim": {"generator": {"lr": 1e-3, "betas": [0.0, 0.9]}, "discriminator": {"lr": 2e-3, "betas": [0.0, 0.9]}},
    "train": {"batch_size": 4, "precision": "fp32", "seed": 0},
}

SPADE_IN_BACKGROUND = {
    "data": {"type": "synthetic", "resolution": 32, "fields": ["label", "instance", "edge"], "length": 64,
             "num_domains": 1, "max_objects": 2},
    "models": {
        "generator": {"type": "edgegan_background", "ngf": 8, "num_downs": 5,
                      "norm": {"type": "spade", "nhidden": 8}},
        "discriminator": {"type": "edgegan_patch", "ndf": 8, "n_layers": 2},
    },
    "strategy": {"type": "edgegan_background"},
    "optim": {"generator": {"lr": 1e-3}, "discriminator": {"lr": 1e-3}},
    "train": {"batch_size": 4, "precision": "fp32", "seed": 0},
}


def test_edge_encoder_feeds_spades_generator(ganforge_registry, tmp_path):
    info = verify(from_dict(SKETCH_TO_SPADE))
    assert {"sketch", "z"} <= info.fields  # z: what edgegan_edge provides
    logs = short_run(SKETCH_TO_SPADE, tmp_path, 16)
    assert {"d_loss", "g_gan", "kld"} <= set(logs[-1])
    first, last = window_means(logs, "d_real", 4)
    assert last < first  # SPADE's discriminator learns the real scenes against the sketch-driven fakes


def test_the_sketch_steers_spades_output_through_the_encoder(ganforge_registry):
    data = ganforge.DataInfo(fields=frozenset({"label", "sketch", "z"}), label_nc=4, resolution=(32, 32))
    torch.manual_seed(0)
    encoder = ganforge.build("encoder", SKETCH_TO_SPADE["models"]["encoder"], data)
    generator = ganforge.build("generator", SKETCH_TO_SPADE["models"]["generator"], data)
    encoder.eval()  # z = mu: the same sketch gives the same z
    label = torch.randint(0, 4, (1, 32, 32)).expand(2, 32, 32)
    sketch = torch.zeros(2, 1, 32, 32)
    sketch[0, 0, 4:28, 10] = 1
    sketch[1, 0, 16, 2:30] = 1
    cond = ganforge.Condition(label=label, sketch=sketch)
    out = generator(cond.replace(z=encoder(torch.zeros(2, 3, 32, 32), cond)["z"]))
    out.mean().backward()
    assert not torch.allclose(out[0], out[1])  # one label map, two sketches, two images
    # SPADE's loss trains E (its log-sigma head only through training-time sampling and the KL)
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for n, p in encoder.named_parameters() if not n.startswith("log_sigma"))


def test_spade_normalizer_in_the_background_stage(ganforge_registry, tmp_path):
    verify(from_dict(SPADE_IN_BACKGROUND))
    logs = short_run(SPADE_IN_BACKGROUND, tmp_path, 16)
    first, last = window_means(logs, "g_l1", 4)
    assert last < first  # the U-Net with SPADE norms learns the scene from its composite


def test_spade_normalizer_needs_the_label_map(ganforge_registry):
    config = copy.deepcopy(SPADE_IN_BACKGROUND)
    config["data"]["fields"] = ["instance", "edge"]
    with pytest.raises(ganforge.ConditionMismatch, match=r"models.generator.norm.*'label'"):
        verify(from_dict(config))

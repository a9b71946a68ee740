"""HiDT mixed with other papers, through the Condition and the normalizer slot:

* HiDT's style encoder (plugins/hidt, ``hidt_style``, provides ``style``) feeding StarGAN
  v2's generator (plugins/stargan_v2, ``stargan_v2`` with its ``adain`` normalizer, which
  reads ``style``), trained by StarGAN v2's recipe as its reference-style encoder;
* HiDT's decoder (``hidt``) with StarGAN v2's ``adain`` in its normalizer slot, and with
  SPADE's normalizer (plugins/spade, reads the label map), trained by HiDT's recipe.
"""

from __future__ import annotations

import copy

import pytest
import torch

import ganforge
from ganforge.config import from_dict, verify
from ganforge.testing import short_run, window_means

HIDT_G = {"type": "hidt", "dim": 8, "content_blocks": 1, "decoder_blocks": 1, "skip_dim": 2, "mlp_dim": 8,
          "seg_channels": 9}
HIDT_CONFIG = {
    "data": {"type": "synthetic", "resolution": 16, "fields": ["label"], "length": 64},
    "models": {
        "generator": {**HIDT_G, "norm": {"type": "adain", "style_dim": 8}},
        "style_encoder": {"type": "hidt_style", "dim": 8},
        "discriminator": {"type": "hidt", "dim": 8, "n_layers": 2, "num_scales": 1},
    },
    "strategy": {"type": "hidt", "style_pool": 16},
    "optim": {"generator": {"lr": 2e-3, "betas": [0.5, 0.999]}, "discriminator": {"lr": 2e-3, "betas": [0.5, 0.999]}},
    "train": {"batch_size": 4, "precision": "fp32", "seed": 0},
}
TRUNK = {"dim_in": 8, "max_conv_dim": 16}
STARGAN_CONFIG = {
    "data": {"type": "synthetic", "resolution": 16, "num_domains": 2, "fields": ["domain"], "length": 64},
    "models": {
        "generator": {"type": "stargan_v2", **TRUNK, "norm": {"type": "adain", "style_dim": 3}},
        "discriminator": {"type": "stargan_v2", **TRUNK},
        "mapping": {"type": "stargan_v2_mapping", "latent_dim": 4, "style_dim": 3, "hidden_dim": 16},
        "style_encoder": {"type": "hidt_style", "dim": 8, "style_dim": 3},
    },
    "strategy": {"type": "stargan_v2", "ds_iter": 100},
    "optim": {role: {"lr": 1e-3, "betas": [0.0, 0.99]} for role in ("generator", "mapping", "style_encoder",
                                                                      "discriminator")},
    "train": {"batch_size": 4, "precision": "fp32", "seed": 0},
}


def test_hidt_style_encoder_drives_stargan_v2s_generator(ganforge_registry, tmp_path):
    info = verify(from_dict(STARGAN_CONFIG))
    assert {"domain", "style", "source"} <= info.fields
    logs = short_run(STARGAN_CONFIG, tmp_path, 16)
    assert len(logs) == 16 and {"latent_sty", "reference_cyc", "latent_d_real", "reference_d_real"} <= set(logs[-1])
    first, last = window_means(logs, "latent_cyc", 4)
    assert last < first  # StarGAN v2's generator learns to cycle back with HiDT's style codes


def test_hidt_style_codes_reach_stargan_v2s_adain(ganforge_registry):
    data = ganforge.DataInfo(fields=frozenset({"source", "style"}), resolution=(16, 16), num_domains=2)
    torch.manual_seed(0)
    encoder = ganforge.build("encoder", STARGAN_CONFIG["models"]["style_encoder"], data)
    generator = ganforge.build("generator", STARGAN_CONFIG["models"]["generator"], data)
    source = torch.rand(1, 3, 16, 16).expand(2, -1, -1, -1) * 2 - 1
    styles = encoder(torch.rand(2, 3, 16, 16) * 2 - 1, ganforge.Condition())["style"]
    out = generator(ganforge.Condition(source=source, style=styles))
    out.mean().backward()
    assert not torch.allclose(out[0], out[1])  # one source, two references: two looks
    assert all(p.grad is not None for p in encoder.parameters())


@pytest.mark.parametrize("norm", [{"type": "adain", "style_dim": 8}, {"type": "spade", "param_free_norm": "instance",
                                                                     "nhidden": 8}], ids=["stargan_v2-adain", "spade"])
def test_hidt_decoder_with_another_normalizer_trains(ganforge_registry, tmp_path, norm):
    config = copy.deepcopy(HIDT_CONFIG)
    config["models"]["generator"]["norm"] = norm
    verify(from_dict(config))
    logs = short_run(config, tmp_path, 16)
    assert len(logs) == 16 and {"rec", "cyc", "seg", "dist", "d_real"} <= set(logs[-1])
    first, last = window_means(logs, "rec", 4)
    assert last < first  # HiDT's recipe trains its decoder with the foreign normalizer


def test_a_normalizer_needing_what_the_run_lacks_is_a_config_error(ganforge_registry):
    config = copy.deepcopy(HIDT_CONFIG)
    config["models"]["generator"]["norm"] = {"type": "sean", "style_length": 8}
    with pytest.raises(ganforge.ConditionMismatch, match=r"models.generator.norm.*'region_style'"):
        verify(from_dict(config))

"""Mixing: other papers' normalizers inside the BachGAN generator (boxes + retrieved
backgrounds -> image). SEAN's region-adaptive normalization (with its style encoder) and
SPADE's own layer read the generator's hallucinated segmentation (the arg-max of the fused
layout); each config validates and trains with the real trainer, and the discriminator's
loss goes down."""

from __future__ import annotations

import pytest
import torch

from ganforge.config import from_dict, verify
from ganforge.testing import short_run, window_means


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def bachgan_config(norm: dict, **models) -> dict:
    """A tiny BachGAN run on the synthetic world (32x32, ngf 4) with the given block normalizer."""
    world = {"type": "synthetic", "resolution": 32, "length": 64, "num_domains": 1}
    return {
        "data": {**world, "fields": ["label", "boxes"]},
        "models": {"generator": {"type": "bachgan", "ngf": 4, "things": [4, 5, 6, 7, 8], "norm": norm},
                   "discriminator": {"type": "bachgan_patch", "ndf": 8, "n_layers": 2}, **models},
        "strategy": {"type": "paired_conditional", "vgg": None},
        "strategies": [{"type": "background_retrieval", "pool_size": 32,
                        "pool_data": {**world, "fields": ["label"], "seed": 7}}],
        "optim": {"generator": {"lr": 0.0002, "betas": [0.0, 0.9]},
                  "discriminator": {"lr": 0.0008, "betas": [0.0, 0.9]}},
        "train": {"batch_size": 4, "precision": "fp32", "device": "cpu", "seed": 0},
    }


MIXES = {
    "sean": bachgan_config({"type": "sean", "style_length": 8, "nhidden": 8, "use_instance": False},
                           encoder={"type": "sean_style", "style_length": 8, "ngf": 2}),
    "spade": bachgan_config({"type": "spade", "nhidden": 8, "use_instance": False}),
}


@pytest.mark.parametrize("norm", sorted(MIXES))
def test_normalizer_inside_the_bachgan_generator_trains(norm, tmp_path):
    config = MIXES[norm]
    exp = from_dict(config, f"bachgan + {norm}")
    info = verify(exp, source=f"bachgan + {norm}")
    assert {"boxes", "retrieved"} <= info.fields  # 'retrieved' is provided by the retrieval strategy
    logs = short_run(config, tmp_path, steps=16)
    assert len(logs) == 16 and all(torch.isfinite(torch.tensor(list(step.values()))).all() for step in logs)
    first, last = window_means(logs, "d_loss", 5)
    assert last < first - 0.05, f"{norm}: discriminator loss {first:.3f} -> {last:.3f}"

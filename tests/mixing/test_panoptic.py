"""Panoptic-based synthesis' upsampling (plugins/panoptic, ``panoptic_upsample``) inside
SEAN's generator (plugins/sean, ``sean``), fed by SEAN's style encoder and trained with
SPADE's recipe (plugins/spade): the mix validates, trains, and both players learn."""

from __future__ import annotations

import copy
import itertools
import math

import pytest
import torch

import ganforge
from ganforge.config import from_dict, verify
from ganforge.testing import window_means
from ganforge.trainer import Trainer

CONFIG = {
    "data": {"type": "synthetic", "resolution": 32, "fields": ["label", "panoptic"], "length": 64,
             "things": ["disc", "box"], "min_objects": 3},
    "models": {
        "generator": {"type": "sean", "ngf": 8, "norm": {"type": "sean", "style_length": 8, "nhidden": 8},
                      "final_norm": {"type": "sean", "use_style": False, "nhidden": 8},
                      "upsample": {"type": "panoptic_upsample"}},
        "encoder": {"type": "sean_style", "style_length": 8, "ngf": 4},
        "discriminator": {"type": "multiscale_patch", "ndf": 8, "n_layers": 2, "num_D": 1},
    },
    "strategy": {"type": "paired_conditional", "vgg": None},
    "optim": {"generator": {"lr": 1e-3, "betas": [0.0, 0.9]}, "discriminator": {"lr": 2e-3, "betas": [0.0, 0.9]}},
    "train": {"batch_size": 4, "precision": "fp32", "seed": 0},
}


def reconstruction_error(trainer: Trainer) -> float:
    """Mean |G(label, panoptic, E(x)) - x| on the trainer's fixed batch, networks in eval
    mode: SEAN's encoder gives G the real image's region styles, so a generator that learns
    (feature matching pulls its images towards the real ones) moves towards the image."""
    run, batch = trainer.run, dict(trainer.sample_batch)
    modes = [(m, m.training) for m in run.models.modules()]
    run.models.eval()
    try:
        with torch.no_grad():
            fake = run.generate(batch["cond"], batch["image"])
    finally:
        for m, mode in modes:
            m.train(mode)
    return (fake - batch["image"]).abs().mean().item()


def test_the_mix_validates_and_trains(ganforge_registry, tmp_path):
    info = verify(from_dict(CONFIG))
    assert {"label", "panoptic", "region_style"} <= info.fields
    trainer = Trainer(from_dict({**CONFIG, "train": {**CONFIG["train"], "steps": 24}}), tmp_path,
                      show_progress=False)
    before = reconstruction_error(trainer)
    try:
        logs = [trainer.train_step(raw) for raw in itertools.islice(trainer.batches, 24)]
    finally:
        trainer.progress.close()
    after = reconstruction_error(trainer)
    assert len(logs) == 24 and {"d_loss", "g_gan", "g_feat"} <= set(logs[-1])
    assert all(math.isfinite(v) for step in logs for v in step.values())
    first, last = window_means(logs, "d_loss", 6)
    assert last < first  # the discriminator learns to tell the mix's images from real ones
    # The generator learns: its images of the fixed batch come closer to the real ones
    # (0.46 -> 0.32 and 0.26 for seeds 0 and 1; with G's lr at 1e-12, 0.46 -> 0.46). Its
    # losses are no learning signal this early: with SPADE's official order, G's step
    # first, g_feat starts against an untrained D and rises as D's features of fake and
    # real images separate.
    assert after < 0.85 * before, (before, after)


def test_seans_generator_upsamples_within_panoptic_segments(ganforge_registry):
    """The slot holds the panoptic upsampler at each of SEAN's five upsamplings, and the
    generator's output depends on how the label map is split into instances."""
    from ganforge_panoptic.upsample import PanopticUpsample

    data = ganforge.DataInfo(fields=frozenset({"label", "panoptic", "region_style"}), label_nc=3, resolution=(32, 32))
    torch.manual_seed(0)
    g = ganforge.build("generator", CONFIG["models"]["generator"], data).eval()
    assert [type(u) for u in g.upsamplers.values()] == [PanopticUpsample] * 5
    label = torch.zeros(1, 32, 32, dtype=torch.long)
    label[:, 8:24, 8:24] = 1
    split = (label + 1) + 256 * (label * (1 + (torch.arange(32) >= 17).long())).long()  # two touching instances
    cond = ganforge.Condition(label=label, panoptic=split, region_style=torch.randn(1, 3, 8))
    with torch.no_grad():
        assert not torch.allclose(g(cond), g(cond.replace(panoptic=label + 1)))


def test_without_panoptic_maps_the_mix_is_refused(ganforge_registry):
    config = copy.deepcopy(CONFIG)
    config["data"]["fields"] = ["label"]
    with pytest.raises(ganforge.ConditionMismatch, match=r"models.generator.upsample.*'panoptic'"):
        verify(from_dict(config))

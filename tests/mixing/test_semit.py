"""SEMIT's pseudo-labelling as an extra strategy of StarGAN v2 with partly labelled domains:
the mixed config validates, trains with the real trainer, its losses go down, and the
unlabelled samples really receive pseudo-labels (scored against the hidden truth)."""

from __future__ import annotations

from pathlib import Path

import torch

import ganforge
from ganforge.config import from_dict, verify
from ganforge.testing import window_means
from ganforge.trainer.loop import Trainer

from ganforge_semit.pseudo_label import PSEUDO, PseudoLabelling

STEPS = 40


def mixed_config(**pseudo) -> dict:
    """Tiny StarGAN v2 on the synthetic world's 3 looks, 30 % of the domains kept."""
    trunk = {"dim_in": 8, "max_conv_dim": 16}
    return {
        "data": {"type": "semi_supervised", "field": "domain", "labelled_fraction": 0.3, "seed": 1,
                 "dataset": {"type": "synthetic", "resolution": 32, "num_domains": 3, "fields": ["domain"],
                             "length": 64}},
        "models": {"generator": {"type": "stargan_v2", **trunk, "norm": {"type": "adain", "style_dim": 8}},
                   "discriminator": {"type": "stargan_v2", **trunk},
                   "mapping": {"type": "stargan_v2_mapping", "latent_dim": 4, "style_dim": 8, "hidden_dim": 16},
                   "style_encoder": {"type": "stargan_v2_style", **trunk, "style_dim": 8}},
        "strategy": {"type": "stargan_v2", "ds_iter": 100, "sample_styles": 1},
        "strategies": [{"type": "pseudo_labelling", "field": "domain", "width": 8, "downsamples": 2,
                        "warmup": 10, "threshold": 0.6, "observer_beta": 0.8, "lr": 0.003, **pseudo}],
        "optim": {name: {"lr": 1e-3, "betas": [0.0, 0.99]}
                  for name in ("generator", "mapping", "style_encoder", "discriminator")},
        "train": {"steps": STEPS, "batch_size": 8, "precision": "fp32", "device": "cpu", "seed": 0},
    }


def train(config: dict, run_dir: Path) -> tuple[Trainer, list[dict[str, float]], list[dict]]:
    """The real trainer's steps; also records the batches the recipe received."""
    exp = from_dict(config, "mixed")
    trainer = Trainer(exp, run_dir, show_progress=False, source="mixed")
    seen, logs = [], []

    class Spy:  # registered last: its wrapper is the outermost, it sees what the recipe receives
        @ganforge.hookimpl(wrapper=True)
        def ganforge_discriminator_step(self, run, batch):
            seen.append({"domain": batch["cond"]["domain"].clone(), **batch["pseudo_labelling"]})
            return (yield)

    trainer.pm.register(Spy())
    try:
        for raw in trainer.batches:
            if trainer.run.step >= STEPS:
                break
            logs.append(trainer.train_step(raw))
    finally:
        trainer.progress.close()
    return trainer, logs, seen


def test_config_validates():
    exp = from_dict(mixed_config(), "mixed")
    info = verify(exp)
    assert "domain" in info.fields and info.num_domains == 3


def test_stargan_v2_learns_with_pseudo_labels(tmp_path):
    trainer, logs, seen = train(mixed_config(), tmp_path)
    strategy = next(s for s in trainer.strategies if isinstance(s, PseudoLabelling))
    # the recipe never sees a hidden label: every row has a domain in [0, 3)
    assert all(int(b["domain"].min()) >= 0 and int(b["domain"].max()) < 3 for b in seen)
    # the student's loss and the discriminator's loss go down
    first, last = window_means(logs, "pl_student_loss", 8)
    assert last < 0.7 * first, (first, last)
    first, last = window_means(logs, "d_loss", 10)
    assert last < first, (first, last)
    # after the warm-up, unlabelled rows get pseudo-labels: remembered by dataset index,
    # only for samples whose label was hidden, mostly right
    data = trainer.dataset
    assigned = (strategy.memory >= 0).nonzero().flatten()
    assert len(assigned) >= 5
    assert not data.mask[assigned.numpy()].any()
    truth = torch.stack([data.inner[i]["domain"] for i in assigned.tolist()])
    assert (strategy.memory[assigned] == truth).float().mean() > 0.5
    pseudo_rows = sum(int((b["kind"] == PSEUDO).sum()) for b in seen[-10:])
    assert pseudo_rows > 0 and sum(log.get("pl_assigned", 0.0) for log in logs[-10:]) > 0


def test_baseline_assigns_nothing(tmp_path):
    trainer, logs, seen = train(mixed_config(pseudo_labels=False), tmp_path)
    strategy = next(s for s in trainer.strategies if isinstance(s, PseudoLabelling))
    assert len(strategy.memory) == 0 or bool((strategy.memory < 0).all())
    assert all(log["pl_assigned"] == 0.0 for log in logs)
    # rows the recipe receives carry only observed labels (kept or replayed)
    assert all(bool((b["kind"] != PSEUDO).all()) for b in seen)

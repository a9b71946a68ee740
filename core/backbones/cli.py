"""``ganforge backbones train``: the one command that makes the offline backbones."""

from __future__ import annotations

import click

from ganforge.weights import hub_checkpoints_dir

from .store import FILENAMES, MANIFEST
from .train import BackboneConfig, train_backbones


def add_commands(group: click.Group) -> None:
    """Add the ``backbones`` group to ``group``."""

    @group.group()
    def backbones() -> None:
        """The segmenter and feature network trained on the synthetic world (offline metrics)."""

    @backbones.command()
    @click.option("--out", type=click.Path(file_okay=False), default=None,
                  help="Folder for the weight files and manifest [default: the torch hub checkpoints cache, "
                       "where `weights: hub` looks].")
    @click.option("--segmenter-steps", type=click.IntRange(1), default=None, help="Segmenter steps [default: 600].")
    @click.option("--features-steps", type=click.IntRange(1), default=None, help="Feature network steps [default: 600].")
    @click.option("--seed", type=int, default=None, help="Seed of weights, batches and flips [default: 0].")
    def train(out: str | None, segmenter_steps: int | None, features_steps: int | None, seed: int | None) -> None:
        """Train both backbones (seeded, CPU, minutes) and write them with a manifest."""
        given = {"segmenter_steps": segmenter_steps, "features_steps": features_steps, "seed": seed}
        cfg = BackboneConfig(**{k: v for k, v in given.items() if v is not None})
        folder = out or str(hub_checkpoints_dir())
        manifest = train_backbones(folder, cfg, log=click.echo)
        seg, feat = manifest["networks"]["segmenter"]["heldout"], manifest["networks"]["features"]["heldout"]
        click.echo(f"held-out segmenter: pixel accuracy {seg['pixel_accuracy']:.4f}, mIoU {seg['miou']:.4f} "
                   f"(always '{seg['majority_class']['class']}': {seg['majority_class']['pixel_accuracy']:.4f}, "
                   f"{seg['majority_class']['miou']:.4f})")
        click.echo("held-out feature network: " + ", ".join(f"{k} {v:.4f}" for k, v in feat.items()))
        click.echo(f"wrote {', '.join(FILENAMES.values())} and {MANIFEST} to {folder} "
                   f"in {manifest['timings']['total_s']} s")

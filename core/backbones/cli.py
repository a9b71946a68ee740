"""``ganforge backbones train``: the one command that makes the offline backbones."""

from __future__ import annotations

import click
import yaml

from ganforge.errors import ConfigError
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
    @click.option("--set", "overrides", multiple=True, metavar="FIELD=VALUE",
                  help="Change a training setting, e.g. --set segmenter_steps=800 (repeatable; fields: "
                       + ", ".join(BackboneConfig.model_fields) + ").")
    def train(out: str | None, overrides: tuple[str, ...]) -> None:
        """Train both backbones (seeded, CPU, minutes) and write them with a manifest."""
        cfg = config_from_overrides(overrides)
        folder = out or str(hub_checkpoints_dir())
        manifest = train_backbones(folder, cfg, log=click.echo)
        seg, feat = manifest["networks"]["segmenter"]["heldout"], manifest["networks"]["features"]["heldout"]
        click.echo(f"held-out segmenter: pixel accuracy {seg['pixel_accuracy']:.4f}, mIoU {seg['miou']:.4f} "
                   f"(always '{seg['majority_class']['class']}': {seg['majority_class']['pixel_accuracy']:.4f}, "
                   f"{seg['majority_class']['miou']:.4f})")
        click.echo("held-out feature network: " + ", ".join(f"{k} {v:.4f}" for k, v in feat.items()))
        click.echo(f"wrote {', '.join(FILENAMES.values())} and {MANIFEST} to {folder} "
                   f"in {manifest['timings']['total_s']} s")


def config_from_overrides(overrides: tuple[str, ...]) -> BackboneConfig:
    """`BackboneConfig` from ``FIELD=VALUE`` strings (values parse as YAML); errors name the field."""
    values = {}
    for item in overrides:
        field, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r}: expected FIELD=VALUE")
        values[field.strip()] = yaml.safe_load(value)
    try:
        return BackboneConfig(**values)
    except ValueError as exc:
        raise ConfigError(f"ganforge backbones train --set: {exc}") from None

"""``ganforge nice-gan translate``: the paper's translation with a trained run."""

from __future__ import annotations

from pathlib import Path

import click
import torch

from ganforge.report import save_grid
from ganforge.data.io import load_images

from . import apps


def translate_command(run: str, direction: str, sources, out: str) -> Path:
    """A grid with one column per source: the source, its translation, the cycle back and
    the attention heatmap of the source domain's encoder."""
    nets, data = apps.load_networks(run)
    images = load_images(sources, data.resolution)
    result = apps.translate(nets, images, direction)
    rows = [images, result["translated"], result["cycled"], result["heatmap"]]
    return save_grid(torch.cat(rows).float(), images.shape[0], Path(out))


def add_commands(group: click.Group) -> None:
    @group.group(name="nice-gan")
    def nice_gan():
        """NICE-GAN applications: unpaired translation between two domains."""

    @nice_gan.command()
    @click.argument("run", type=click.Path(exists=True))
    @click.option("--direction", type=click.Choice(sorted(apps.DIRECTIONS)), default="ab", show_default=True,
                  help="ab: X (domain_a) -> Y; ba: Y -> X")
    @click.option("--source", "sources", multiple=True, required=True, type=click.Path(exists=True),
                  help="image of the source domain (repeatable; one column each)")
    @click.option("--out", type=click.Path(), required=True, help="PNG grid to write")
    def translate(run, direction, sources, out):
        """Translate images with a trained run (folder or checkpoint): rows are the sources,
        translations, cycle reconstructions and attention heatmaps."""
        click.echo(translate_command(run, direction, sources, out))

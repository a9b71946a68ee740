"""``ganforge nice-gan translate``: the paper's translation with a trained run or an imported
checkpoint (``ganforge import nice_gan`` writes one from the official ``params_<step>.pt``)."""

from __future__ import annotations

from pathlib import Path

import click

from ganforge.report import save_rows, saved_message
from ganforge.data.io import load_images

from . import apps


def translate_command(run: str, direction: str, sources, out: str) -> str:
    """A grid with one column per source, rows named source, translated, cycled (back
    through the other generator) and heatmap (the source encoder's attention); returns
    what the command prints."""
    nets, data = apps.load_networks(run)
    images = load_images(sources, data.resolution)
    result = apps.translate(nets, images, direction)
    rows = {"source": images, "translated": result["translated"], "cycled": result["cycled"],
            "heatmap": result["heatmap"]}
    return saved_message(*save_rows({k: v.float() for k, v in rows.items()}, Path(out)))


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
        """Translate images with a trained run (folder or checkpoint). Rows: source, translated,
        cycled, heatmap."""
        click.echo(translate_command(run, direction, sources, out))

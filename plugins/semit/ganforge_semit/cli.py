"""``ganforge semit score`` and ``ganforge semit translate``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ganforge.report import save_rows, saved_message

from . import apps


def add_commands(group: click.Group) -> None:
    @group.group(name="semit")
    def semit():
        """SEMIT applications: few-shot translation, scoring on the synthetic world."""

    @semit.command()
    @click.argument("run", type=click.Path(exists=True))
    @click.option("--look", "looks", type=int, multiple=True, default=(0, 1, 2), show_default=True,
                  help="target look (0 day, 1 dusk, 2 night, 3 fog; repeatable)")
    @click.option("--count", type=int, default=32, show_default=True, help="content images")
    @click.option("--shots", type=int, default=5, show_default=True, help="exemplars per translation (SEMIT runs)")
    @click.option("--untrained", is_flag=True, help="score the networks at initialisation (the 'before')")
    def score(run, looks, count, shots, untrained):
        """Translations of a run (folder, checkpoint or config) against the ground truth."""
        models, exp = apps.load_run(run, trained=not untrained)
        world = apps.synthetic_world(exp)
        result = apps.score(apps.translator(models, world, shots), world, list(looks), count)
        click.echo(json.dumps({k: round(v, 4) for k, v in result.items()}))

    @semit.command()
    @click.argument("run", type=click.Path(exists=True))
    @click.option("--look", type=int, default=3, show_default=True, help="target look (3 = fog, unseen in training)")
    @click.option("--shots", type=int, default=5, show_default=True, help="exemplars of the look")
    @click.option("--out", type=click.Path(), required=True, help="PNG grid to write")
    def translate(run, look, shots, out):
        """Few-shot translation grid. Rows: content, translated, ground truth."""
        models, exp = apps.load_run(run)
        world = apps.synthetic_world(exp)
        grid = apps.few_shot_grid(apps.translator(models, world, shots), world, look)
        rows = dict(zip(("content", "translated", "ground truth"), grid.float().split(grid.shape[0] // 3)))
        click.echo(saved_message(*save_rows(rows, Path(out))))

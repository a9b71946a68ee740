"""``ganforge semit score`` and ``ganforge semit translate``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ganforge.data.io import load_images
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
    @click.option("--source", "sources", multiple=True, type=click.Path(exists=True, dir_okay=False),
                  help="content image to translate (repeatable); with --exemplar, instead of the synthetic world")
    @click.option("--exemplar", "exemplars", multiple=True, type=click.Path(exists=True, dir_okay=False),
                  help="image of the target class (repeatable: K shots, class codes averaged)")
    @click.option("--alpha", type=click.FloatRange(0, 1), default=None,
                  help="octave ratio (share of low-frequency channels) [default: the generator's alpha]")
    @click.option("--look", type=int, default=3, show_default=True, help="target look (3 = fog, unseen in training)")
    @click.option("--shots", type=int, default=5, show_default=True, help="exemplars of the look")
    @click.option("--out", type=click.Path(), required=True, help="PNG grid to write")
    def translate(run, sources, exemplars, alpha, look, shots, out):
        """Few-shot translation: image files into the class of K exemplar files (rows:
        source, translated), or, without --source, a grid of the synthetic world (rows:
        content, translated into --look, ground truth)."""
        if bool(sources) != bool(exemplars):
            raise click.UsageError("give both --source and --exemplar (or neither, for the synthetic world)")
        if sources:
            generator, data = apps.load_generator(run)
            grid = apps.translate_files(generator, load_images(sources, data.resolution),
                                        load_images(exemplars, data.resolution), alpha)
            rows = dict(zip(("source", "translated"), grid.float().split(len(sources))))
        else:
            models, exp = apps.load_run(run)
            world = apps.synthetic_world(exp)
            grid = apps.few_shot_grid(apps.translator(models, world, shots, alpha=alpha), world, look)
            rows = dict(zip(("content", "translated", "ground truth"), grid.float().split(grid.shape[0] // 3)))
        click.echo(saved_message(*save_rows(rows, Path(out))))

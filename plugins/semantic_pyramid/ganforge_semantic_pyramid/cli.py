"""``ganforge semantic-pyramid ...``: the paper's applications on a trained run.

RUN is a ganforge run folder (its latest checkpoint) or a checkpoint file, reopened with
`ganforge.applications.open_app` (the EMA generator when the run kept one). Images are files,
resized to the run's resolution; each command writes one PNG grid.
"""

from __future__ import annotations

from pathlib import Path

import click
import torch

from ganforge.applications import open_app
from ganforge.cli_types import SEED
from ganforge.data.io import load_images
from ganforge.report import save_rows, saved_message

from . import apps
from .classifier import LEVELS
from .generator import SemanticPyramidGenerator

run_arg = click.argument("run", type=click.Path(exists=True))
image_opt = click.option("--image", "images", multiple=True, required=True, type=click.Path(exists=True),
                         help="reference image (repeatable; one column each)")
level_opt = click.option("--level", type=click.Choice(LEVELS), default="conv4", show_default=True,
                         help="semantic level the generation keeps")
box_opt = click.option("--box", type=float, nargs=4, required=True, help="x0 y0 x1 y1 in [0, 1] units")
seed_opt = click.option("--seed", type=SEED, default=0, show_default=True, help="seed of the noise z")
out_opt = click.option("--out", type=click.Path(), required=True, help="PNG grid to write")


def _open(run: str, images) -> tuple[SemanticPyramidGenerator, torch.Tensor]:
    """The run's generator and the images at its resolution."""
    app = open_app(run, "semantic_pyramid", "Semantic Pyramid's applications need generator 'semantic_pyramid'",
                   generator=SemanticPyramidGenerator)
    return app.generator, load_images(list(images), app.info.resolution)


def _write(rows: dict[str, torch.Tensor], out) -> str:
    """The named rows as a grid (one column per image); returns what the command prints."""
    return saved_message(*save_rows(rows, Path(out)))


def _noise(G: torch.nn.Module, batch: int, seed: int) -> torch.Tensor:
    return torch.randn(batch, G.params.z_dim, generator=torch.Generator().manual_seed(seed))


def add_commands(group: click.Group) -> None:
    @group.group(name="semantic-pyramid")
    def semantic_pyramid() -> None:
        """Semantic Pyramid applications: generation from a level, inpainting, compositing, re-labelling."""

    @semantic_pyramid.command()
    @run_arg
    @image_opt
    @click.option("--levels", default="fc8,fc7,conv5,conv4,conv3,conv2,conv1", show_default=True,
                  help="comma-separated levels, one row each")
    @click.option("--samples", type=int, default=1, show_default=True, help="noises per level")
    @seed_opt
    @out_opt
    def generate(run, images, levels, samples, seed, out):
        """Rows: the references, then generations keeping only the given level (deepest first)."""
        G, x = _open(run, images)
        names = [name.strip() for name in levels.split(",") if name.strip()]
        rows = {"references": x}
        for k in range(samples):
            fakes = apps.from_levels(G, x, names, _noise(G, x.shape[0], seed + k))
            rows.update({f"from {name}, noise {seed + k}": fake for name, fake in zip(names, fakes)})
        click.echo(_write(rows, out))

    @semantic_pyramid.command()
    @run_arg
    @image_opt
    @box_opt
    @level_opt
    @click.option("--samples", type=int, default=3, show_default=True, help="noises (rows)")
    @seed_opt
    @out_opt
    def inpaint(run, images, box, level, samples, seed, out):
        """Rows: the images with the hole greyed, then re-generations of the hole from --level."""
        G, x = _open(run, images)
        hole = apps.box_mask(tuple(x.shape[-2:]), tuple(box), x.shape[0])
        rows = {"hole greyed": x * (1 - hole)}
        for k in range(samples):
            rows[f"from {level}, noise {seed + k}"] = apps.inpaint(G, x, hole, level, _noise(G, x.shape[0], seed + k))
        click.echo(_write(rows, out))

    @semantic_pyramid.command()
    @run_arg
    @image_opt
    @click.option("--paste", required=True, type=click.Path(exists=True), help="image pasted into --box")
    @box_opt
    @level_opt
    @seed_opt
    @out_opt
    def composite(run, images, paste, box, level, seed, out):
        """Rows: the naive composites, then the generated ones."""
        G, x = _open(run, images)
        pasted = load_images([paste], tuple(x.shape[-2:])).expand(x.shape[0], -1, -1, -1)
        naive, fake = apps.composite(G, x, pasted, tuple(box), level, _noise(G, x.shape[0], seed))
        click.echo(_write({"naive composite": naive, f"generated from {level}": fake}, out))

    @semantic_pyramid.command()
    @run_arg
    @image_opt
    @click.option("--label", "labels", type=int, multiple=True, required=True,
                  help="new class (repeatable; a row each)")
    @level_opt
    @seed_opt
    @out_opt
    def relabel(run, images, labels, level, seed, out):
        """Rows: the images, then generations from --level with fc8 edited to each new class."""
        G, x = _open(run, images)
        z = _noise(G, x.shape[0], seed)
        rows = {"images": x, **{f"class {label} from {level}": apps.relabel(G, x, label, level, z) for label in labels}}
        click.echo(_write(rows, out))

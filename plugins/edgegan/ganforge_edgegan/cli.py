"""``ganforge edgegan compose``: a scene sketch -> a scene image with a trained foreground
run (``edgegan`` recipe) and a trained background run (``edgegan_background``).

Scene sketches come from the background run's dataset by index (the synthetic world: the
object outlines of field ``sketch``, the boxes and classes of ``boxes``, and the stuff
boundaries of ``edge`` outside the objects as the background sketch), or from files::

    ganforge edgegan compose runs/edgegan_fg runs/edgegan_bg --index 0 --index 3 --out scenes.png
    ganforge edgegan compose runs/edgegan_fg runs/edgegan_bg --sketch objects.png \\
        --background-sketch background.png --box 2 0.1 0.4 0.35 0.8 --out scene.png
    ganforge edgegan objects runs/edgegan_fg --batches 8   # SWD and edge L1 of sketch -> edge -> image

Each row of the PNG: scene sketch, G_E's edges in the boxes, the generated objects on the
background sketch, the final image (and the real scene when it comes from the dataset).
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
import torch
from PIL import Image

import ganforge
from ganforge.applications import AppRun, open_app
from ganforge.data.io import read_rgb
from ganforge.report import save_rows, saved_message

from .background import BackgroundRecipe
from .scene import compose, object_scores
from .strategy import EdgeGANRecipe


def open_foreground(run: str | Path) -> AppRun:
    """A foreground run (`ganforge.applications.open_app`): E, G_E and G_I (EMA copies when kept)."""
    return open_app(run, "edgegan", "EdgeGAN's objects need a foreground run (strategy: edgegan, with "
                    "models.encoder)", roles=("encoder",), strategy=EdgeGANRecipe)


def open_background(run: str | Path) -> AppRun:
    """A background run: the pix2pix generator of background sketches."""
    return open_app(run, "edgegan", "EdgeGAN's backgrounds need a background run (strategy: edgegan_background)",
                    strategy=BackgroundRecipe)


def strokes_from_file(path: str, size: tuple[int, int]) -> torch.Tensor:
    """(1, 1, H, W) strokes in {0, 1} from a drawing: dark pixels are lines."""
    pic = read_rgb(Path(path)).convert("L").resize((size[1], size[0]), Image.BILINEAR)
    return torch.from_numpy((np.asarray(pic, np.float32) < 128).astype(np.float32))[None, None]


def scene_from_dataset(dataset, info: ganforge.DataInfo, index: int):
    """(sketch, background sketch, boxes with object classes, real image) of sample ``index``."""
    if not 0 <= index < len(dataset):
        raise click.BadParameter(f"index {index} outside [0, {len(dataset)})", param_hint="--index")
    s = dataset[index]
    missing = {"sketch", "edge", "instance", "boxes"} - set(s)
    if missing:
        raise ganforge.ConfigError(f"the background run's dataset gives no {sorted(missing)}; "
                                   "add them to data.fields or give --sketch/--background-sketch/--box")
    boxes = s["boxes"].clone()
    first_thing = info.label_nc - info.num_classes  # thing label ids follow the stuff ids
    boxes[:, 0] = torch.where(boxes[:, 0] >= 0, boxes[:, 0] - first_thing, boxes[:, 0])
    background = s["edge"] * (s["instance"] == 0)
    return s["sketch"][None], background[None], boxes, s["image"][None]


@click.group(name="edgegan")
def edgegan() -> None:
    """EdgeGAN / SketchyCOCO applications (image generation from scene sketches)."""


@edgegan.command()
@click.argument("foreground", type=click.Path(exists=True))
@click.argument("background", type=click.Path(exists=True))
@click.option("--index", "indices", type=int, multiple=True, help="scene of the background run's dataset")
@click.option("--sketch", type=click.Path(exists=True, dir_okay=False), help="object sketches (dark lines)")
@click.option("--background-sketch", type=click.Path(exists=True, dir_okay=False), help="background sketch")
@click.option("--box", "box_rows", type=(int, float, float, float, float), multiple=True,
              help="object class and box x0 y0 x1 y1 in [0, 1] (with --sketch)")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="PNG to write")
def compose_cmd(foreground, background, indices, sketch, background_sketch, box_rows, out) -> None:
    """Generate scene images from scene sketches (objects through E, G_E, G_I; background by pix2pix)."""
    fg, bg = open_foreground(foreground), open_background(background)
    generator, encoder = fg.generator, fg.network("encoder")
    size = fg.config.strategy.params.get("size", 64)
    bg_size = tuple(bg.info.resolution)
    if sketch or background_sketch or box_rows:
        if not (sketch and background_sketch and box_rows):
            raise click.UsageError("--sketch, --background-sketch and at least one --box go together")
        boxes = torch.tensor(box_rows, dtype=torch.float32)
        if int(boxes[:, 0].max()) >= fg.info.num_classes or bool((boxes[:, 0] < 0).any()):
            raise click.BadParameter(f"classes must lie in [0, {fg.info.num_classes})", param_hint="--box")
        scenes = [(strokes_from_file(sketch, bg_size), strokes_from_file(background_sketch, bg_size), boxes, None)]
    else:
        scenes = [scene_from_dataset(bg.dataset, bg.info, i) for i in (indices or (0,))]
    columns = "scene sketch | G_E edges | objects on the background sketch | image"
    columns += " | real" if scenes[0][3] is not None else ""
    rows = {}
    for i, (obj, back, boxes, real) in enumerate(scenes):
        c = compose(generator, encoder, bg.generator, obj, back, boxes, size, bg_size)
        cells = [c.scene_sketch, c.edges, c.composite, c.image] + ([real] if real is not None else [])
        rows[f"scene {i}: {columns}"] = torch.cat(cells).clamp(-1, 1)
    click.echo(f"{len(scenes)} scene(s)\n" + saved_message(*save_rows(rows, Path(out))))


compose_cmd.name = "compose"


@edgegan.command()
@click.argument("foreground", type=click.Path(exists=True))
@click.option("--batches", type=int, default=8, show_default=True, help="batches of the run's data")
@click.option("--batch-size", type=int, default=16, show_default=True)
def objects(foreground, batches, batch_size) -> None:
    """Score a foreground run's sketch -> edge -> image path on its data's objects: SWD of the
    images against the real crops (x 1e3), L1 of G_E's edges to the real edges."""
    fg = open_foreground(foreground)
    recipe = fg.strategy(EdgeGANRecipe)
    torch.manual_seed(0)
    loader = torch.utils.data.DataLoader(fg.dataset, batch_size=batch_size, shuffle=False)
    fields = fg.info.fields
    pairs = ((b["image"], ganforge.Condition({k: v for k, v in b.items() if k in fields})) for _, b in
             zip(range(batches), loader))
    metric = ganforge.build("metric", {"type": "swd"}, fg.info)
    scores = object_scores(recipe, fg.generator, fg.network("encoder"), pairs, metric)
    click.echo(f"step {fg.step}: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()))

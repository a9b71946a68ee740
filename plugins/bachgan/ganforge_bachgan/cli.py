"""``ganforge bachgan ...``: build the candidate pool, and boxes in -> scene out.

    ganforge bachgan build-pool plugins/bachgan/configs/cityscapes.yaml --out pools/cityscapes.pt
    ganforge bachgan synthesize runs/bachgan --boxes my_boxes.json --out scene.png
    ganforge bachgan synthesize runs/bachgan --n 4          # boxes of the run's dataset samples 0..3

``synthesize`` writes a PNG grid, one row per input: the box layout, the m retrieved
backgrounds, the generated image.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import torch
import yaml

import ganforge
from ganforge.applications import AppRun, open_app
from ganforge.cli_types import SEED
from ganforge_spade import semantic

from . import apps
from .retrieval import BackgroundRetrieval, build_pool


def load_run(run_or_ckpt: str | Path) -> AppRun:
    """Reopen a BachGAN run from its checkpoint (`ganforge.applications.open_app`); its
    config must retrieve backgrounds. The dataset is built only when no ``--boxes`` files
    are given (the networks are built against the data the config describes)."""
    return open_app(run_or_ckpt, "bachgan", "BachGAN's synthesis needs a BachGAN run (strategy "
                    "'background_retrieval' among its strategies)", strategy=BackgroundRetrieval)


def dataset_spec(config: str | Path) -> Any:
    """The dataset spec of a YAML file: its ``data`` section, or the whole file when it is
    a bare dataset spec (``type: cityscapes ...``)."""
    path = Path(config)
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ganforge.ConfigError(f"{path}: cannot read ({exc})") from None
    spec = doc.get("data", doc) if isinstance(doc, dict) else None
    if not isinstance(spec, dict) or "type" not in spec:
        raise ganforge.ConfigError(f"{path}: expected an experiment config with a 'data' section or a dataset "
                                   "spec with 'type'")
    return spec


def add_commands(group: click.Group) -> None:
    """Add the ``bachgan`` command group to ``group``."""

    @group.group(name="bachgan")
    def bachgan() -> None:
        """BachGAN: the background candidate pool, and scenes from object boxes."""

    @bachgan.command(name="build-pool")
    @click.argument("config", type=click.Path(exists=True, dir_okay=False))
    @click.option("--out", required=True, type=click.Path(dir_okay=False), help="Pool file to write.")
    @click.option("--size", default=1000, show_default=True, type=click.IntRange(1),
                  help="Candidates: the dataset's first N samples.")
    @click.option("--resolution", nargs=2, type=click.IntRange(1), default=None,
                  help="H W of the stored maps [default: the dataset's].")
    @click.option("--seed", type=SEED, default=None, help="Take a random subset of this seed [default: the first N].")
    def build_pool_command(config: str, out: str, size: int, resolution: tuple[int, int] | None,
                           seed: int | None) -> None:
        """Index the label maps of CONFIG's dataset into a candidate pool file."""
        pool = build_pool(dataset_spec(config), size, tuple(resolution) if resolution else None,
                          path=f"{config}: data", seed=seed)
        path = pool.save(out)
        h, w = pool.resolution
        click.echo(f"{len(pool)} candidates, {pool.num_labels} labels, {h}x{w}: wrote {path}")

    @bachgan.command()
    @click.argument("run", type=click.Path(exists=True))
    @click.option("--boxes", "box_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
                  help='JSON file {"boxes": [{"class": c, "box": [x0, y0, x1, y1]}, ...]} (repeatable).')
    @click.option("--n", "count", default=4, show_default=True, type=click.IntRange(1),
                  help="Without --boxes: the boxes of the run dataset's samples 0..n-1.")
    @click.option("--out", type=click.Path(dir_okay=False), help="PNG grid [default: in the run folder].")
    def synthesize(run: str, box_files: tuple[str, ...], count: int, out: str | None) -> None:
        """Boxes in, scene out: one named row of [box layout | retrieved backgrounds | output] per scene."""
        loaded = load_run(run)
        retrieval, num_labels = loaded.strategy(BackgroundRetrieval), semantic.semantic_nc(loaded.restored.info, False)
        if box_files:
            rows = [apps.read_boxes(f, num_labels) for f in box_files]
            width = max(r.shape[1] for r in rows)
            pad = torch.tensor([-1.0, 0, 0, 0, 0])
            boxes = torch.cat([torch.cat([r, pad.expand(1, width - r.shape[1], 5)], 1) for r in rows])
        else:
            dataset = loaded.dataset
            boxes = torch.stack([dataset[i]["boxes"] for i in range(min(count, len(dataset)))])
        retrieved, image = apps.synthesize(loaded.generator, retrieval, boxes)
        m = retrieved.shape[1]
        pictures = apps.grid_rows(boxes, retrieved, image, num_labels).split(m + 2)
        names = (f"#{i}: box layout | {m} retrieved backgrounds | output" for i in range(len(pictures)))
        click.echo(loaded.write(dict(zip(names, pictures)), out, "synthesize"))

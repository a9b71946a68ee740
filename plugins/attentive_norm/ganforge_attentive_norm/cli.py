"""``ganforge attentive-norm ...``: the paper's applications on a trained run.

    ganforge attentive-norm sample runs/synthetic --classes 0,1,2 --n 6
    ganforge attentive-norm inpaint runs/synthetic_inpainting --index 3 [--mask holes.png]
    ganforge attentive-norm layout runs/synthetic --n 4 --entities 8

Each loads a run folder (latest checkpoint; the EMA generator when there is one) or a
checkpoint file and writes a PNG grid into the run folder (or --out).
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
import torch

import ganforge
from ganforge.applications import AppRun, open_app
from ganforge.cli_types import SEED

from . import apps
from .biggan import BigGANGenerator
from .inpainting import InpaintingGenerator
from .masks import MaskParams, make_masks


def load_run(run_or_ckpt: str | Path, want: type | tuple[type, ...]) -> AppRun:
    """Reopen a run with its dataset (`ganforge.applications.open_app`); its generator (the
    EMA copy when there is one) must be a ``want``."""
    names = " or ".join(w.__name__ for w in (want if isinstance(want, tuple) else (want,)))
    return open_app(run_or_ckpt, "attentive_norm", f"this command needs a generator of type {names}",
                    generator=want, dataset=True)


def _masks(loaded: AppRun) -> MaskParams:
    """How the run's inpainting recipe draws its holes."""
    return MaskParams(**loaded.config.strategy.params.get("masks", {}))


def read_mask(path: str, size: tuple[int, int]) -> torch.Tensor:
    """A mask image (white = hole) as (1, 1, H, W) in {0, 1} at ``size``."""
    from PIL import Image

    try:
        img = Image.open(path).convert("L").resize((size[1], size[0]), Image.NEAREST)
    except OSError as exc:
        raise ganforge.DataError(f"{path}: cannot read the mask image ({exc})") from None
    return torch.from_numpy((np.asarray(img) > 127).astype(np.float32))[None, None]


def _classes(loaded: AppRun, text: str | None) -> list[int]:
    g = loaded.generator
    if not text:
        return list(range(g.num_classes))
    try:
        classes = [int(c) for c in text.split(",")]
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected comma-separated class ids", param_hint="--classes") from None
    bad = [c for c in classes if not 0 <= c < g.num_classes]
    if bad:
        raise click.BadParameter(f"class ids {bad} outside [0, {g.num_classes})", param_hint="--classes")
    return classes


def add_commands(group: click.Group) -> None:
    """Add the ``attentive_norm`` command group to ``group``."""

    @group.group(name="attentive-norm")
    def attentive_norm() -> None:
        """Attentive Normalization's applications: class-conditional samples, inpainting, learned layouts."""

    run_arg = click.argument("run", type=click.Path(exists=True))
    out_opt = click.option("--out", type=click.Path(dir_okay=False), help="PNG grid [default: in the run folder].")
    seed_opt = click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of z (or of the random holes).")

    @attentive_norm.command()
    @run_arg
    @click.option("--classes", help="Comma-separated class ids [default: all].")
    @click.option("--n", "per_class", default=6, show_default=True, type=click.IntRange(1), help="Samples per class.")
    @out_opt
    @seed_opt
    def sample(run: str, classes: str | None, per_class: int, out: str | None, seed: int) -> None:
        """Class-conditional samples: one row per class (named), one shared z per column."""
        loaded = load_run(run, BigGANGenerator)
        g = loaded.generator
        ids = _classes(loaded, classes)
        z_dim = g.chunk * (len(g.blocks) + 1)
        images = apps.sample_classes(g, g.params.condition_field, ids, per_class, z_dim, seed)
        rows = dict(zip((f"class {c}" for c in ids), images.split(per_class)))
        click.echo(loaded.write(rows, out, "sample"))

    @attentive_norm.command()
    @run_arg
    @click.option("--index", "indices", multiple=True, type=int, default=(0,), show_default=True,
                  help="Dataset index of an image to inpaint (repeatable).")
    @click.option("--mask", "mask_path", type=click.Path(exists=True, dir_okay=False),
                  help="Mask image, white = hole [default: holes as the run's recipe draws them].")
    @out_opt
    @seed_opt
    def inpaint(run: str, indices: tuple[int, ...], mask_path: str | None, out: str | None, seed: int) -> None:
        """Fill holes: rows of [image, incomplete, completed]; prints PSNR in the holes' images."""
        loaded = load_run(run, InpaintingGenerator)
        for i in indices:
            if not 0 <= i < len(loaded.dataset):
                raise click.BadParameter(f"{i} outside [0, {len(loaded.dataset)})", param_hint="--index")
        image = torch.stack([loaded.dataset[i]["image"] for i in indices])
        size = tuple(image.shape[-2:])
        if mask_path:
            mask = read_mask(mask_path, size).expand(len(indices), -1, -1, -1)
        else:
            mask = make_masks(_masks(loaded), len(indices), size, torch.Generator().manual_seed(seed))
        incomplete, completed = apps.inpaint(loaded.generator, image, mask)
        mse = ((completed - image) / 2).pow(2).mean((1, 2, 3)).clamp_min(1e-10)
        psnr = (10 * torch.log10(1 / mse)).tolist()
        rows = {f"#{i}: image | incomplete | completed": torch.stack(triple)
                for i, triple in zip(indices, zip(image, incomplete, completed))}
        message = loaded.write(rows, out, "inpaint")
        click.echo("PSNR " + "  ".join(f"#{i}: {p:.2f} dB" for i, p in zip(indices, psnr)) + f"\n{message}")

    @attentive_norm.command()
    @run_arg
    @click.option("--n", "count", default=4, show_default=True, type=click.IntRange(1),
                  help="Samples (class-conditional run) or dataset images (inpainting run).")
    @click.option("--entities", default=8, show_default=True, type=click.IntRange(1),
                  help="Attention maps shown per sample (of AN's n).")
    @click.option("--layer", default=-1, show_default=True, help="Which AN layer (index, -1 = the last).")
    @out_opt
    @seed_opt
    def layout(run: str, count: int, entities: int, layer: int, out: str | None, seed: int) -> None:
        """The learned soft layout: image, arg-max layout, then one attention map per entity."""
        loaded = load_run(run, (BigGANGenerator, InpaintingGenerator))
        g = loaded.generator
        if isinstance(g, BigGANGenerator):
            classes = [i % g.num_classes for i in range(count)]
            image = apps.sample_classes(g, g.params.condition_field, classes, 1, g.chunk * (len(g.blocks) + 1), seed)
        else:
            image = torch.stack([loaded.dataset[i]["image"] for i in range(count)])
            mask = make_masks(_masks(loaded), count, tuple(image.shape[-2:]), torch.Generator().manual_seed(seed))
            image = apps.inpaint(g, image, mask)[1]
        grid = apps.layout_pictures(image, apps.last_layout(g, layer), entities)
        names = (f"sample {i}: image | arg-max layout | {entities} attention maps" for i in range(count))
        rows = dict(zip(names, grid.split(entities + 2)))
        click.echo(loaded.write(rows, out, "layout"))

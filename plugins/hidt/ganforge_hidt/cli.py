"""``ganforge hidt ...``: the paper's applications on a trained or released model.

CHECKPOINT is a ganforge run folder or checkpoint; the official
``trained_models/generator/daytime.pt`` / ``wikiart.pt`` becomes one with ``ganforge import hidt``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import torch
import torch.nn.functional as F

import ganforge
from ganforge.cli_types import SEED
from ganforge.data.io import list_images, load_images
from ganforge.files import atomic_write
from ganforge.report import save_rows, saved_message

from . import apps

checkpoint_arg = click.argument("checkpoint", type=click.Path(exists=True))
image_opt = click.option("--image", "images", multiple=True, required=True, type=click.Path(exists=True),
                         help="input image (repeatable)")
out_opt = click.option("--out", type=click.Path(), required=True, help="PNG to write")
seed_opt = click.option("--seed", type=SEED, default=0, show_default=True,
                        help="seed of the random styles and of the inputs' dequantisation noise")
inference_size_opt = click.option("--inference-size", type=click.IntRange(16), default=None,
                                  help="shorter side the inputs are resized to (default: the network's "
                                       "resolution), as the official StyleTransformer's inference_size")


def _images(nets: apps.Networks, paths, size: int | None = None) -> torch.Tensor:
    size = size or nets.size
    return load_images(paths, (size, size))


def _official_inputs(nets: apps.Networks, paths, inference_size: int | None, seed: int) -> list[torch.Tensor]:
    """Each image as the official StyleTransformer prepares it (aspect kept)."""
    gen = torch.Generator().manual_seed(seed)
    return [apps.official_input(p, inference_size or nets.size, gen) for p in paths]


def _cells(images: list[torch.Tensor], size: tuple[int, int]) -> torch.Tensor:
    """Images of several sizes as grid cells of ``size`` (bicubic, for display only)."""
    return torch.cat([x if tuple(x.shape[-2:]) == size else
                      F.interpolate(x, size=size, mode="bicubic", align_corners=False).clamp(-1, 1) for x in images])


def _write(rows: dict[str, torch.Tensor], out) -> str:
    """The named rows as a grid; returns what the command prints."""
    return saved_message(*save_rows(rows, Path(out)))


def swap_command(checkpoint, images, out, inference_size: int | None = None, seed: int = 0) -> str:
    """Grid: a blank cell, then the images (their styles) along the top; each further row
    an image (its content) followed by it in every style. Every image is translated at its
    own official input size; cells are shown at the first image's size."""
    nets = apps.load_networks(checkpoint)
    xs = _official_inputs(nets, images, inference_size, seed)
    size = tuple(xs[0].shape[-2:])
    top = _cells(xs, size)
    rows = {"styles": torch.cat([torch.ones_like(top[:1]), top])}
    rows.update({f"image {i} | in each style": torch.cat([top[i:i + 1], _cells([row], size)])
                 for i, row in enumerate(apps.swap_grid(nets, xs))})
    return _write(rows, out)


def random_command(checkpoint, images, styles, seed, out, inference_size: int | None = None) -> str:
    """Grid: each image followed by it in ``styles`` random styles (the same codes per column)."""
    nets = apps.load_networks(checkpoint)
    xs = _official_inputs(nets, images, inference_size, seed)
    size = tuple(xs[0].shape[-2:])
    rows = {f"image {i} | random styles": torch.cat([
        _cells([x], size), _cells([apps.random_styles(nets, x, styles, torch.Generator().manual_seed(seed))[0]], size)])
        for i, x in enumerate(xs)}  # the same generator seed per image: the same codes per column
    return _write(rows, out)


def enhance_command(checkpoint, images, style, enhancer, out) -> str:
    """Grid, one column per image: the input (at 4S), its translation at S upsampled
    bilinearly to 4S, and the enhancement scheme's 4S output, with G_enh from ``enhancer``
    (a file of ``train-enhancer``) or else the checkpoint's ``models.enhancer``."""
    nets = apps.load_networks(checkpoint)
    big = apps.FACTOR * nets.size
    if enhancer is None and nets.enhancer is None:
        raise ganforge.ConfigError(f"{checkpoint}: the run keeps no enhancer (models.enhancer); give --enhancer "
                                   "(from `ganforge hidt train-enhancer`), or import the released enhancer.pth with "
                                   "`ganforge import hidt ... --set models.enhancer.type=hidt_enhancer`")
    g_enh = apps.build_enhancer(big, weights=enhancer) if enhancer is not None else nets.enhancer
    x = _images(nets, images, big)
    s = nets.style(_images(nets, [style]))
    plain = nets.translate(F.interpolate(x, size=(nets.size, nets.size), mode="bilinear", align_corners=False,
                                         antialias=True), s)
    plain = F.interpolate(plain, size=(big, big), mode="bilinear", align_corners=False)
    high = apps.enhance_4x(nets, g_enh, x, s)
    return _write({"input": x, "translated, bilinear 4x": plain, "enhanced 4x": high}, out)


def train_enhancer_command(checkpoint, folder, steps, batch_size, lr, seed, out, width=None) -> Path:
    """Train G_enh (official size, or ``width`` = (nf, nb, gc)) for the run's frozen
    translator and save ``{"spec", "state"}`` atomically."""
    nets = apps.load_networks(checkpoint)
    if folder is not None:
        batches = apps.folder_batches(list_images(Path(folder), "--folder"), nets.size, batch_size, seed)
    else:
        batches = apps.hires_batches(nets.config.model_dump(mode="json"), nets.size, batch_size, seed)
    torch.manual_seed(seed)
    spec = {"type": "hidt_enhancer", **(dict(zip(("nf", "nb", "gc"), width)) if width else {})}
    g_enh = apps.build_enhancer(apps.FACTOR * nets.size, spec)
    for step, loss in enumerate(apps.train_enhancer(nets, g_enh, batches, steps, lr), 1):
        if step == 1 or step % 50 == 0 or step == steps:
            click.echo(f"step {step}: L1 {loss:.4f}")
    state = {"spec": spec, "state": g_enh.state_dict()}
    atomic_write(Path(out), lambda f: torch.save(state, f))
    return Path(out)


def swap_eval_command(checkpoint, samples) -> dict[str, float]:
    nets = apps.load_networks(checkpoint)
    return apps.synthetic_swap_scores(nets, nets.config.data.model_dump(mode="json"), samples)


def add_commands(group: click.Group) -> None:
    @group.group(name="hidt")
    def hidt() -> None:
        """HiDT applications: style swap, random styles, 4x enhancement, training G_enh."""

    @hidt.command()
    @checkpoint_arg
    @image_opt
    @out_opt
    @inference_size_opt
    @seed_opt
    def swap(checkpoint, images, out, inference_size, seed):
        """Style swap: every image in the style of every image."""
        click.echo(swap_command(checkpoint, images, out, inference_size, seed))

    @hidt.command()
    @checkpoint_arg
    @image_opt
    @click.option("--styles", type=int, default=4, show_default=True, help="random styles per image")
    @seed_opt
    @out_opt
    @inference_size_opt
    def random(checkpoint, images, styles, seed, out, inference_size):
        """Styles from the prior N(0, I): every image in several random styles."""
        click.echo(random_command(checkpoint, images, styles, seed, out, inference_size))

    @hidt.command()
    @checkpoint_arg
    @image_opt
    @click.option("--style", required=True, type=click.Path(exists=True), help="image whose style to apply")
    @click.option("--enhancer", type=click.Path(exists=True),
                  help="G_enh weights from `ganforge hidt train-enhancer` [default: the checkpoint's models.enhancer, "
                       "e.g. the released enhancer.pth imported by `ganforge import hidt`]")
    @out_opt
    def enhance(checkpoint, images, style, enhancer, out):
        """4x high-resolution translation through the enhancement scheme."""
        click.echo(enhance_command(checkpoint, images, style, enhancer, out))

    @hidt.command(name="swap-eval")
    @checkpoint_arg
    @click.option("--samples", type=int, default=64, show_default=True, help="sources to try (pairs of equal "
                  "looks are skipped)")
    def swap_eval(checkpoint, samples):
        """Synthetic world only: style swaps scored against the ground-truth renderings."""
        click.echo(json.dumps(swap_eval_command(checkpoint, samples)))

    @hidt.command(name="train-enhancer")
    @checkpoint_arg
    @click.option("--folder", type=click.Path(exists=True, file_okay=False), default=None,
                  help="high-resolution training images (default: the run's dataset rendered at 4x)")
    @click.option("--steps", type=int, default=500, show_default=True)
    @click.option("--batch-size", type=int, default=4, show_default=True)
    @click.option("--lr", type=float, default=1e-4, show_default=True)
    @click.option("--width", type=(int, int, int), default=None,
                  help="NF NB GC of G_enh (default: the official 64 5 32)")
    @seed_opt
    @click.option("--out", type=click.Path(), required=True, help="enhancer weights file to write")
    def train_enhancer(checkpoint, folder, steps, batch_size, lr, width, seed, out):
        """Train G_enh for a trained translation network (the network stays frozen)."""
        click.echo(train_enhancer_command(checkpoint, folder, steps, batch_size, lr, seed, out, width))


__all__ = ["add_commands", "swap_command", "random_command", "enhance_command", "swap_eval_command",
           "train_enhancer_command"]

"""``ganforge image2stylegan-pp <app> CHECKPOINT ...``: the applications on a trained run
(any generator with the StyleLatentGenerator capability), writing PNG grids.

Settings come from ``--config FILE`` (its section named after the command; without it the
paper's FFHQ settings, the defaults of `Settings`); explicit flags override them. Images are
read at the generator's resolution; masks come from ``--mask`` (a PNG, white = 1) or
``--box top,left,bottom,right`` in pixels.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import torch

import ganforge
from ganforge.cli_types import SEED
from ganforge.data.io import load_images
from ganforge.report import save_rows, saved_message

from . import apps
from .masks import box_mask, load_mask
from .settings import Settings, load_settings, override

checkpoint_arg = click.argument("checkpoint", type=click.Path(exists=True))
out_opt = click.option("--out", type=click.Path(), required=True, help="PNG grid to write")

# flag -> the dotted settings field it overrides
FLAGS = {"w_steps": "schedule.w_steps", "noise_steps": "schedule.noise_steps", "rounds": "schedule.rounds",
         "lr": "schedule.lr", "noise_lr": "schedule.noise_lr", "vgg_weights": "vgg.weights", "seed": "seed", "blur": "blur",
         "style_weight": "style", "layers": "layers"}


def common_opts(f):
    for opt in reversed([
        click.option("--config", "config", type=click.Path(exists=True, dir_okay=False),
                     help="settings YAML (configs/ffhq.yaml, configs/synthetic.yaml); default: the paper's"),
        click.option("--w-steps", type=int, help="Adam steps on W+ per round"),
        click.option("--noise-steps", type=int, help="Adam steps on the noise per round"),
        click.option("--rounds", type=int, help="W+ -> noise repetitions"),
        click.option("--lr", type=float, help="Adam learning rate of the W+ stage"),
        click.option("--noise-lr", type=float, help="Adam learning rate of the noise stage"),
        click.option("--vgg-weights", help="VGG-16 weights: hub (torch hub cache), a path, or none (random)"),
        click.option("--seed", type=SEED, help="seed of the initial noise"),
    ]):
        f = opt(f)
    return f


def mask_opts(f):
    f = click.option("--box", help="mask box top,left,bottom,right in pixels")(f)
    return click.option("--mask", "mask_path", type=click.Path(exists=True), help="mask PNG (white = 1)")(f)


def region(mask_path, box, size) -> torch.Tensor:
    if (mask_path is None) == (box is None):
        raise ganforge.ConfigError("give exactly one of --mask and --box")
    return load_mask(mask_path, size) if mask_path else box_mask(box, size)


def command_settings(command: str, config: str | None, flags: dict[str, Any]):
    """The command's section of ``config`` (or of the defaults) with the given flags applied."""
    section = (load_settings(config) if config else Settings()).section(command)
    given = {FLAGS[k]: v for k, v in flags.items() if v is not None}
    return override(section, given) if given else section


class Session:
    """What every command starts with: the generator, the images at its size and the settings."""

    def __init__(self, command: str, checkpoint, images, config=None, **flags):
        self.settings = command_settings(command, config, flags)
        self.G = apps.load_generator(checkpoint)
        probe = self.G.synthesis(*_probe_latents(self.G))
        self.size = tuple(probe.shape[-2:])
        self.images = [load_images([p], self.size) for p in images]


@torch.no_grad()
def _probe_latents(G):
    ws = G.mean_w().view(1, 1, -1).expand(1, G.num_ws, -1)
    return ws, [torch.zeros(1, *s) for s in G.noise_shapes()]


def write(images: list[torch.Tensor], out: str, name: str) -> None:
    """One named row of the images, left to right (``name`` says what each column is)."""
    click.echo(saved_message(*save_rows({name: torch.cat(images).clamp(-1, 1)}, Path(out))))


def add_commands(group: click.Group) -> None:
    @group.group("image2stylegan-pp")
    def main() -> None:
        """Image2StyleGAN++ (arXiv:1911.11544): embed and edit images in W+, noise and activations."""

    @main.command("schema")
    @click.option("--out", type=click.Path(dir_okay=False), help="Write it to this file instead of printing it.")
    def schema(out) -> None:
        """The JSON Schema of a settings file (--config), for editors and validators."""
        from ganforge.cli import write_json

        from .settings import settings_schema

        write_json(settings_schema(), out)

    @main.command("reconstruct")
    @checkpoint_arg
    @click.argument("image", type=click.Path(exists=True, dir_okay=False))
    @common_opts
    @out_opt
    def reconstruct(checkpoint, image, out, **kw) -> None:
        """Input | W+ embedding | W+ then noise; prints PSNR / SSIM of both as JSON."""
        s = Session("reconstruct", checkpoint, [image], **kw)
        r = apps.reconstruct(s.G, s.images[0], s.settings)
        write([s.images[0], r.w_only, r.full], out, "input | W+ embedding | W+ then noise")
        click.echo(json.dumps({**r.scores, "vgg_weights": s.settings.vgg.weights}))

    @main.command("crossover")
    @checkpoint_arg
    @click.argument("image_x", type=click.Path(exists=True, dir_okay=False))
    @click.argument("image_y", type=click.Path(exists=True, dir_okay=False))
    @mask_opts
    @click.option("--blur", type=float, help="sigma of M_blur in pixels")
    @common_opts
    @out_opt
    def crossover(checkpoint, image_x, image_y, mask_path, box, out, **kw) -> None:
        """x | y | one embedding with x inside the mask and y outside."""
        s = Session("crossover", checkpoint, [image_x, image_y], **kw)
        x, y = s.images
        write([x, y, apps.crossover(s.G, x, y, region(mask_path, box, s.size), s.settings)], out,
              "x | y | crossover (x inside the mask)")

    @main.command("inpaint")
    @checkpoint_arg
    @click.argument("image", type=click.Path(exists=True, dir_okay=False))
    @mask_opts
    @common_opts
    @out_opt
    def inpaint(checkpoint, image, mask_path, box, out, **kw) -> None:
        """Input with the hole greyed | the embedding that fills the hole (mask 1 = missing)."""
        s = Session("inpaint", checkpoint, [image], **kw)
        hole = region(mask_path, box, s.size)
        write([s.images[0] * (1 - hole), apps.inpaint(s.G, s.images[0], hole, s.settings)], out,
              "input, hole greyed | inpainted")

    @main.command("local-edit")
    @checkpoint_arg
    @click.argument("scribbled", type=click.Path(exists=True, dir_okay=False))
    @mask_opts
    @common_opts
    @out_opt
    def local_edit(checkpoint, scribbled, mask_path, box, out, **kw) -> None:
        """Scribbled input | the edit (the mask marks the scribbled region)."""
        s = Session("local-edit", checkpoint, [scribbled], **kw)
        img = apps.local_edit(s.G, s.images[0], region(mask_path, box, s.size), s.settings)
        write([s.images[0], img], out, "scribbled input | edit")

    @main.command("style-transfer")
    @checkpoint_arg
    @click.argument("content", type=click.Path(exists=True, dir_okay=False))
    @click.argument("style", type=click.Path(exists=True, dir_okay=False))
    @mask_opts
    @click.option("--style-weight", type=float, help="lambda_s of the Gram loss")
    @common_opts
    @out_opt
    def style_transfer(checkpoint, content, style, mask_path, box, out, **kw) -> None:
        """Content | style | local style transfer inside the mask."""
        s = Session("style-transfer", checkpoint, [content, style], **kw)
        x, y = s.images
        write([x, y, apps.local_style_transfer(s.G, x, y, region(mask_path, box, s.size), s.settings)], out,
              "content | style | local style transfer")

    @main.command("feature-transfer")
    @checkpoint_arg
    @click.argument("image_x", type=click.Path(exists=True, dir_okay=False))
    @click.argument("image_y", type=click.Path(exists=True, dir_okay=False))
    @mask_opts
    @click.option("--layers", callback=lambda ctx, p, v: tuple(v.split(",")) if v else None,
                  help="comma-separated activation names (default: the first half of activation_names())")
    @common_opts
    @out_opt
    def feature_transfer(checkpoint, image_x, image_y, mask_path, box, out, **kw) -> None:
        """x | y | embedding of x | of y | x with y's activations inside the mask."""
        s = Session("feature-transfer", checkpoint, [image_x, image_y], **kw)
        x, y = s.images
        edited, recs = apps.feature_transfer(s.G, x, y, region(mask_path, box, s.size), s.settings)
        write([x, y, recs[:1], recs[1:], edited], out, "x | y | embedding of x | embedding of y | feature transfer")

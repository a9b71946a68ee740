"""``ganforge image2stylegan_pp <app> CHECKPOINT ...``: the applications on a trained run
(any generator with the StyleLatentGenerator capability), writing PNG grids.

Images are read at the generator's resolution; masks come from ``--mask`` (a PNG, white = 1)
or ``--box top,left,bottom,right`` in pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import torch

import ganforge
from ganforge.data.io import load_images
from ganforge.report import save_grid

from . import apps
from .embed import Schedule
from .masks import box_mask, load_mask

checkpoint_arg = click.argument("checkpoint", type=click.Path(exists=True))
out_opt = click.option("--out", type=click.Path(), required=True, help="PNG grid to write")


def schedule_opts(f):
    for opt in reversed([
        click.option("--w-steps", type=int, default=5000, show_default=True, help="Adam steps on W+"),
        click.option("--noise-steps", type=int, default=3000, show_default=True, help="Adam steps on the noise"),
        click.option("--rounds", type=int, default=1, show_default=True, help="W+ -> noise repetitions"),
        click.option("--lr", type=float, default=0.01, show_default=True),
        click.option("--vgg-weights", default="hub", show_default=True,
                     help="VGG-16 weights: hub (torch hub cache), a path, or none (random, for offline tests)"),
        click.option("--seed", type=int, default=0, show_default=True, help="seed of the initial noise"),
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


class Session:
    """What every command starts with: the generator, the images at its size, the schedule and loss."""

    def __init__(self, checkpoint, images, w_steps, noise_steps, rounds, lr, vgg_weights, seed):
        self.G = apps.load_generator(checkpoint)
        probe = self.G.synthesis(*_probe_latents(self.G))
        self.size = tuple(probe.shape[-2:])
        self.images = [load_images([p], self.size) for p in images]
        self.schedule = Schedule(w_steps=w_steps, noise_steps=noise_steps, rounds=rounds, lr=lr)
        self.vgg_weights, self.seed = vgg_weights, seed
        self.perceptual = apps.perceptual_loss(vgg_weights)


@torch.no_grad()
def _probe_latents(G):
    ws = G.mean_w().view(1, 1, -1).expand(1, G.num_ws, -1)
    return ws, [torch.zeros(1, *s) for s in G.noise_shapes()]


def write(images: list[torch.Tensor], out: str) -> None:
    click.echo(save_grid(torch.cat(images).clamp(-1, 1), len(images), Path(out)))


def add_commands(group: click.Group) -> None:
    @group.group("image2stylegan_pp")
    def main() -> None:
        """Image2StyleGAN++ (arXiv:1911.11544): embed and edit images in W+, noise and activations."""

    @main.command("reconstruct")
    @checkpoint_arg
    @click.argument("image", type=click.Path(exists=True, dir_okay=False))
    @schedule_opts
    @out_opt
    def reconstruct(checkpoint, image, out, **kw) -> None:
        """Input | W+ embedding | W+ then noise; prints PSNR / SSIM of both as JSON."""
        s = Session(checkpoint, [image], **kw)
        r = apps.reconstruct(s.G, s.images[0], s.schedule, s.perceptual, s.seed)
        write([s.images[0], r.w_only, r.full], out)
        click.echo(json.dumps({**r.scores, "vgg_weights": s.vgg_weights}))

    @main.command("crossover")
    @checkpoint_arg
    @click.argument("image_x", type=click.Path(exists=True, dir_okay=False))
    @click.argument("image_y", type=click.Path(exists=True, dir_okay=False))
    @mask_opts
    @click.option("--blur", "blur_sigma", type=float, default=2.0, show_default=True, help="sigma of M_blur (pixels)")
    @schedule_opts
    @out_opt
    def crossover(checkpoint, image_x, image_y, mask_path, box, blur_sigma, out, **kw) -> None:
        """x | y | one embedding with x inside the mask and y outside."""
        s = Session(checkpoint, [image_x, image_y], **kw)
        x, y = s.images
        img = apps.crossover(s.G, x, y, region(mask_path, box, s.size), s.schedule, s.perceptual, blur_sigma, s.seed)
        write([x, y, img], out)

    @main.command("inpaint")
    @checkpoint_arg
    @click.argument("image", type=click.Path(exists=True, dir_okay=False))
    @mask_opts
    @schedule_opts
    @out_opt
    def inpaint(checkpoint, image, mask_path, box, out, **kw) -> None:
        """Input with the hole greyed | the embedding that fills the hole (mask 1 = missing)."""
        s = Session(checkpoint, [image], **kw)
        hole = region(mask_path, box, s.size)
        img = apps.inpaint(s.G, s.images[0], hole, s.schedule, s.perceptual, s.seed)
        write([s.images[0] * (1 - hole), img], out)

    @main.command("local-edit")
    @checkpoint_arg
    @click.argument("scribbled", type=click.Path(exists=True, dir_okay=False))
    @mask_opts
    @schedule_opts
    @out_opt
    def local_edit(checkpoint, scribbled, mask_path, box, out, **kw) -> None:
        """Scribbled input | the edit (the mask marks the scribbled region)."""
        s = Session(checkpoint, [scribbled], **kw)
        img = apps.local_edit(s.G, s.images[0], region(mask_path, box, s.size), s.schedule, s.perceptual, s.seed)
        write([s.images[0], img], out)

    @main.command("style-transfer")
    @checkpoint_arg
    @click.argument("content", type=click.Path(exists=True, dir_okay=False))
    @click.argument("style", type=click.Path(exists=True, dir_okay=False))
    @mask_opts
    @click.option("--style-weight", type=float, default=1e6, show_default=True, help="lambda_s of the Gram loss")
    @schedule_opts
    @out_opt
    def style_transfer(checkpoint, content, style, mask_path, box, style_weight, out, **kw) -> None:
        """Content | style | local style transfer inside the mask."""
        s = Session(checkpoint, [content, style], **kw)
        x, y = s.images
        img = apps.local_style_transfer(s.G, x, y, region(mask_path, box, s.size), s.schedule, s.perceptual,
                                        apps.style_loss(s.vgg_weights), style_weight, s.seed)
        write([x, y, img], out)

    @main.command("feature-transfer")
    @checkpoint_arg
    @click.argument("image_x", type=click.Path(exists=True, dir_okay=False))
    @click.argument("image_y", type=click.Path(exists=True, dir_okay=False))
    @mask_opts
    @click.option("--layers", default=None,
                  help="comma-separated activation names (default: the first half of activation_names())")
    @schedule_opts
    @out_opt
    def feature_transfer(checkpoint, image_x, image_y, mask_path, box, layers, out, **kw) -> None:
        """x | y | embedding of x | of y | x with y's activations inside the mask."""
        s = Session(checkpoint, [image_x, image_y], **kw)
        x, y = s.images
        names = s.G.activation_names()
        chosen = layers.split(",") if layers else names[: max(1, len(names) // 2)]
        edited, recs = apps.feature_transfer(s.G, x, y, region(mask_path, box, s.size), chosen, s.schedule,
                                             s.perceptual, s.seed)
        write([x, y, recs[:1], recs[1:], edited], out)

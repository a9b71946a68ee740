"""``ganforge stylegan2 ...``: the paper's applications.

CHECKPOINT is a ganforge run folder or checkpoint, e.g. the output of
``ganforge import stylegan2`` (a rosinality/stylegan2-pytorch ``.pt`` made loadable).
"""

from __future__ import annotations

from pathlib import Path

import click

from ganforge.cli_types import SEED, SEEDS
from ganforge.report import pad_row, save_rows, saved_message

from . import apps

checkpoint_arg = click.argument("checkpoint", type=click.Path(exists=True))
psi_opt = click.option("--truncation-psi", "psi", type=float, default=1.0, show_default=True,
                       help="truncation trick: w = w_avg + psi (w - w_avg)")
out_opt = click.option("--out", type=click.Path(), required=True, help="PNG grid to write")
noise_opt = click.option("--noise-seed", type=SEED, default=0, show_default=True, help="seed of random noise inputs")
noise_mode_opt = click.option("--noise", type=click.Choice(["fixed", "random"]), default=None,
                              help="fixed: the generator's own noise maps (rosinality's randomize_noise=False, kept "
                                   "by importing with models.generator.noise=fixed); random: drawn from --noise-seed "
                                   "[default: fixed when the generator holds maps]")


def add_commands(group: click.Group) -> None:
    @group.group("stylegan2")
    def stylegan2() -> None:
        """StyleGAN2 (arXiv:1912.04958): sampling, style mixing, checkpoint import."""

    @stylegan2.command("generate")
    @checkpoint_arg
    @click.option("--seeds", type=SEEDS, required=True, help="latent seeds, e.g. 0-7 or 1,5,9")
    @psi_opt
    @click.option("--columns", type=int, default=8, show_default=True)
    @noise_opt
    @noise_mode_opt
    @out_opt
    def generate(checkpoint, seeds, psi, columns, noise_seed, noise, out) -> None:
        """Images of the seeds' latents with the truncation trick."""
        G = apps.load_generator(checkpoint)
        images = apps.generate(G, seeds, psi, noise_seed, noise)
        width = max(1, min(columns, len(seeds)))
        rows = {"seeds " + " ".join(map(str, seeds[i:i + width])): pad_row(images[i:i + width], width)
                for i in range(0, len(seeds), width)}
        click.echo(saved_message(*save_rows(rows, Path(out))))

    @stylegan2.command("style-mix")
    @checkpoint_arg
    @click.option("--row-seeds", type=SEEDS, required=True, help="sources of the coarse styles (one row each)")
    @click.option("--col-seeds", type=SEEDS, required=True, help="sources of the remaining styles (one column each)")
    @click.option("--cutoff", type=int, default=4, show_default=True,
                  help="first W+ layer taken from the column source (4 = coarse styles up to 8x8 from the rows)")
    @psi_opt
    @noise_opt
    @noise_mode_opt
    @out_opt
    def style_mix(checkpoint, row_seeds, col_seeds, cutoff, psi, noise_seed, noise, out) -> None:
        """Style-mixing grid: coarse styles of the rows, the rest of the columns."""
        G = apps.load_generator(checkpoint)
        grid = apps.style_mix_grid(G, row_seeds, col_seeds, cutoff, psi, noise_seed, noise).split(len(col_seeds) + 1)
        names = ["column seeds " + " ".join(map(str, col_seeds))] + [f"row seed {r} | mixed" for r in row_seeds]
        click.echo(saved_message(*save_rows(dict(zip(names, grid)), Path(out))))

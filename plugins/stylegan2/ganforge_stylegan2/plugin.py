"""The plugin module named by the ``ganforge`` entry point: registers StyleGAN2's
generator, discriminator and training recipe, and the ``ganforge stylegan2`` commands."""

from __future__ import annotations

import ganforge

from . import PAPER
from .discriminator import StyleGAN2Discriminator
from .generator import StyleGAN2Generator
from .strategy import StyleGAN2
from . import convert

GANFORGE_API = "1.0"

COMPONENTS = (
    ("generator", "stylegan2", StyleGAN2Generator),
    ("discriminator", "stylegan2", StyleGAN2Discriminator),
    ("strategy", "stylegan2", StyleGAN2),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for kind, name, cls in COMPONENTS:
        register(kind, name, cls, paper=PAPER)
    register.importer("stylegan2", convert.import_files,
                      "rosinality/stylegan2-pytorch checkpoints (g_ema, g, d, latent_avg; NVlabs .pkl via convert_weight.py)")


@ganforge.hookimpl
def ganforge_cli(group) -> None:
    from .cli import add_commands

    add_commands(group)

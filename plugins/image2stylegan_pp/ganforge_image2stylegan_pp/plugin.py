"""The plugin module named by the ``ganforge`` entry point: registers the paper's masked
VGG-16 perceptual and style losses, and the ``ganforge image2stylegan-pp`` commands."""

from __future__ import annotations

import ganforge

from . import PAPER
from .losses import WEIGHTS_FILE, PerceptualLoss, StyleLoss

GANFORGE_API = "1.0"

COMPONENTS = (
    ("loss", "image2stylegan_pp_perceptual", PerceptualLoss),
    ("loss", "image2stylegan_pp_style", StyleLoss),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for kind, name, cls in COMPONENTS:
        register(kind, name, cls, paper=PAPER)
    register.weights_file(WEIGHTS_FILE)


@ganforge.hookimpl
def ganforge_cli(group) -> None:
    from .cli import add_commands

    add_commands(group)

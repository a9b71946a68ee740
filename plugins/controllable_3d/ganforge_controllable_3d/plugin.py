"""The plugin module named by the ``ganforge`` entry point."""

from __future__ import annotations

import ganforge

from . import PAPER
from .data import ObjectFolders
from .discriminator import SNResNetDiscriminator
from .generator import Controllable3DGenerator
from .norm import AdaIN
from .strategy import Controllable3DRecipe
from .world import Controllable3DWorld

GANFORGE_API = "1.0"

COMPONENTS = (
    ("generator", "controllable_3d", Controllable3DGenerator, PAPER),
    ("normalizer", "controllable_3d_adain", AdaIN, "arXiv:1703.06868"),
    ("discriminator", "sngan_resnet", SNResNetDiscriminator, "arXiv:1802.05957"),
    ("strategy", "controllable_3d", Controllable3DRecipe, PAPER),
    ("dataset", "controllable_3d_objects", ObjectFolders, PAPER),
    ("dataset", "controllable_3d_world", Controllable3DWorld, PAPER),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for kind, name, cls, paper in COMPONENTS:
        register(kind, name, cls, paper=paper)


@ganforge.hookimpl
def ganforge_cli(group) -> None:
    from .cli import add_commands

    add_commands(group)

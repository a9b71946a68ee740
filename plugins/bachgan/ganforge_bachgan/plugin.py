"""The plugin module named by the ``ganforge`` entry point: registers BachGAN's condition
fields and components, and adds the ``ganforge bachgan`` commands."""

from __future__ import annotations

import ganforge

from . import PAPER
from .discriminator import BoxPatchDiscriminator
from .generator import BachGANGenerator
from .layout import FIELDS
from .norm import FusedSPADE
from .retrieval import BackgroundRetrieval
from . import convert

GANFORGE_API = "1.0"

COMPONENTS = (
    ("generator", "bachgan", BachGANGenerator),
    ("normalizer", "fused_spade", FusedSPADE),
    ("discriminator", "bachgan_patch", BoxPatchDiscriminator),
    ("strategy", "background_retrieval", BackgroundRetrieval),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for spec in FIELDS:
        register.condition_field(spec)
    for kind, name, cls in COMPONENTS:
        register(kind, name, cls, paper=PAPER)
    register.importer("bachgan", convert.import_files,
                      "BachGAN's <epoch>_net_G.pth / _net_D.pth (Cold-Winter/BachGAN, BachGan.zip)")


@ganforge.hookimpl
def ganforge_cli(group) -> None:
    from .cli import add_commands  # click and the trainer load only for the command line

    add_commands(group)

"""The plugin module named by the ``ganforge`` entry point: registers SEAN's components
and adds the ``ganforge sean`` commands (the paper's applications)."""

from __future__ import annotations

import ganforge

from . import PAPER
from .encoder import SEANStyleEncoder
from .generator import SEANGenerator
from .norm import SEAN
from . import convert

GANFORGE_API = "1.0"

COMPONENTS = (
    ("normalizer", "sean", SEAN),
    ("encoder", "sean_style", SEANStyleEncoder),
    ("generator", "sean", SEANGenerator),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for kind, name, cls in COMPONENTS:
        register(kind, name, cls, paper=PAPER)
    register.importer("sean", convert.import_files,
                      "SEAN's latest_net_G.pth (with the Zencoder) / latest_net_D.pth (ZPdesu/SEAN CelebA-HQ_pretrained)")


@ganforge.hookimpl
def ganforge_cli(group) -> None:
    from .cli import add_commands  # click and the trainer load only for the command line

    add_commands(group)

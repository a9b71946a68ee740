"""The plugin module named by the ``ganforge`` entry point: registers GroupDNet's components
and adds the ``ganforge smis`` commands (the paper's applications)."""

from __future__ import annotations

import ganforge

from . import PAPER
from .encoder import GroupDNetEncoder
from .generator import GroupDNet
from .metrics import MCSD, MOCD
from .norm import CGNorm
from . import convert

GANFORGE_API = "1.0"

COMPONENTS = (
    ("normalizer", "cg_norm", CGNorm),
    ("generator", "groupdnet", GroupDNet),
    ("encoder", "groupdnet", GroupDNetEncoder),
    ("metric", "mcsd", MCSD),
    ("metric", "mocd", MOCD),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for kind, name, cls in COMPONENTS:
        register(kind, name, cls, paper=PAPER)
    register.importer("smis", convert.import_files,
                      "SMIS's <epoch>_net_G.pth / _net_D.pth / _net_E.pth (Seanseattle/SMIS)")


@ganforge.hookimpl
def ganforge_cli(group) -> None:
    from .cli import add_commands  # click and the trainer load only for the command line

    add_commands(group)

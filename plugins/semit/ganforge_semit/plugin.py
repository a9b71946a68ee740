"""The plugin module named by the ``ganforge`` entry point: registers SEMIT's components."""

from __future__ import annotations

import ganforge

from . import PAPER, convert
from .data import SemiSupervised
from .discriminator import SEMITDiscriminator
from .generator import SEMITGenerator
from .pseudo_label import PseudoLabelling
from .strategy import SEMIT

GANFORGE_API = "1.0"

COMPONENTS = (
    ("generator", "semit", SEMITGenerator),
    ("discriminator", "semit", SEMITDiscriminator),
    ("strategy", "semit", SEMIT),
    ("dataset", "semi_supervised", SemiSupervised),
    ("strategy", "pseudo_labelling", PseudoLabelling),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for kind, name, cls in COMPONENTS:
        register(kind, name, cls, paper=PAPER)
    register.importer("semit", convert.import_files,
                      "SEMIT's gen_<iter>.pt (gen, gen_test) and dis_<iter>.pt (dis) (yaxingwang/SEMIT trainer.py)")


@ganforge.hookimpl
def ganforge_cli(group) -> None:
    from .cli import add_commands

    add_commands(group)

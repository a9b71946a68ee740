"""The plugin module named by the ``ganforge`` entry point: registers SEMIT's components."""

from __future__ import annotations

import ganforge

from . import PAPER
from .data import SemiSupervised
from .pseudo_label import PseudoLabelling

GANFORGE_API = "1.0"

COMPONENTS = (
    ("dataset", "semi_supervised", SemiSupervised),
    ("strategy", "pseudo_labelling", PseudoLabelling),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for kind, name, cls in COMPONENTS:
        register(kind, name, cls, paper=PAPER)

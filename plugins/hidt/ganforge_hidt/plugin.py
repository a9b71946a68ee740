"""The plugin module named by the ``ganforge`` entry point: registers HiDT's components,
its Condition fields and its application commands."""

from __future__ import annotations

import ganforge

from . import PAPER
from .discriminator import HiDTDiscriminator
from .enhancement import HiDTEnhancer
from .generator import HiDTGenerator
from .norm import HiDTAdaIN
from .strategy import HiDT
from .style_encoder import HiDTStyleEncoder
from . import convert

GANFORGE_API = "1.0"

FIELDS = (
    ganforge.FieldSpec("subimages", "bilinear", "float", "B,48,H,W",
                       "HiDT enhancement input: 16 shifted translated sub-images, realigned, stacked on channels"),
)
COMPONENTS = (
    ("generator", "hidt", HiDTGenerator),
    ("encoder", "hidt_style", HiDTStyleEncoder),
    ("normalizer", "hidt_adain", HiDTAdaIN),
    ("discriminator", "hidt", HiDTDiscriminator),
    ("generator", "hidt_enhancer", HiDTEnhancer),
    ("strategy", "hidt", HiDT),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for spec in FIELDS:
        register.condition_field(spec)
    for kind, name, cls in COMPONENTS:
        register(kind, name, cls, paper=PAPER)
    register.importer("hidt", convert.import_files,
                      "HiDT's trained_models/generator/daytime.pt / wikiart.pt (saic-mdal/HiDT)")


@ganforge.hookimpl
def ganforge_cli(group) -> None:
    from .cli import add_commands

    add_commands(group)

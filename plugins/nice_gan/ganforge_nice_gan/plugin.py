"""The plugin module named by the ``ganforge`` entry point: registers NICE-GAN's
components, the discriminator-reuse strategy and the ``embedding`` Condition field."""

from __future__ import annotations

import ganforge

from . import PAPER
from .discriminator import NICEDiscriminator
from .generator import NICEGenerator
from .reuse import DiscriminatorReuse
from .strategy import NICEGAN
from . import convert

GANFORGE_API = "1.0"

FIELDS = (
    ganforge.FieldSpec("embedding", "none", "float", "B,D,H,W",
                       "a discriminator's early-layer encoding of the source image (NICE-GAN: D = 2 ch channels at "
                       "1/4 of the image size); kept at its own size when the condition is resized"),
)
COMPONENTS = (
    ("generator", "nice_gan", NICEGenerator),
    ("discriminator", "nice_gan", NICEDiscriminator),
    ("strategy", "nice_gan", NICEGAN),
    ("strategy", "discriminator_reuse", DiscriminatorReuse),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for spec in FIELDS:
        register.condition_field(spec)
    for kind, name, cls in COMPONENTS:
        register(kind, name, cls, paper=PAPER)
    register.importer("nice_gan", convert.import_files,
                      "NICE-GAN's params_<step>.pt (gen2B, gen2A, disA, disB; full or light; alpc91/NICE-GAN-pytorch)")


@ganforge.hookimpl
def ganforge_cli(group) -> None:
    from .cli import add_commands

    add_commands(group)

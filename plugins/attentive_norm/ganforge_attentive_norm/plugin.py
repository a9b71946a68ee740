"""The plugin module named by the ``ganforge`` entry point: registers AN's components,
the inpainting input field and the ``ganforge attentive-norm`` commands."""

from __future__ import annotations

import ganforge

from . import PAPER
from .biggan import BigGANGenerator, ProjectionDiscriminator
from .inpainting import InpaintingDiscriminator, InpaintingGenerator
from .norm import AttentiveNorm
from .strategy import ClassConditional, Inpainting

GANFORGE_API = "1.0"

BIGGAN = "arXiv:1809.11096"
FIELDS = (
    ganforge.FieldSpec("masked_image", "bilinear", "float", "B,3,H,W",
                       "image whose holes (mask = 1) are zeroed, in [-1, 1]: the input of inpainting"),
)
COMPONENTS = (
    ("normalizer", "attentive_norm", AttentiveNorm, PAPER),
    ("generator", "an_biggan", BigGANGenerator, PAPER),
    ("discriminator", "an_projection", ProjectionDiscriminator, BIGGAN),
    ("generator", "an_inpainting", InpaintingGenerator, PAPER),
    ("discriminator", "an_inpainting", InpaintingDiscriminator, PAPER),
    ("strategy", "an_class_conditional", ClassConditional, PAPER),
    ("strategy", "an_inpainting", Inpainting, PAPER),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for spec in FIELDS:
        register.condition_field(spec)
    for kind, name, cls, paper in COMPONENTS:
        register(kind, name, cls, paper=paper)


@ganforge.hookimpl
def ganforge_cli(group) -> None:
    from .cli import add_commands  # click and PIL only when the CLI runs

    add_commands(group)

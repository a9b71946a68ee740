"""The plugin module named by the ``ganforge`` entry point: registers AN's components."""

from __future__ import annotations

import ganforge

from . import PAPER
from .biggan import BigGANGenerator, ProjectionDiscriminator
from .norm import AttentiveNorm

GANFORGE_API = "1.0"

BIGGAN = "arXiv:1809.11096"
COMPONENTS = (
    ("normalizer", "attentive_norm", AttentiveNorm, PAPER),
    ("generator", "an_biggan", BigGANGenerator, PAPER),
    ("discriminator", "an_projection", ProjectionDiscriminator, BIGGAN),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for kind, name, cls, paper in COMPONENTS:
        register(kind, name, cls, paper=paper)

"""The plugin module named by the ``ganforge`` entry point: registers Semantic Pyramid's
components, its Condition field and its application commands."""

from __future__ import annotations

import ganforge

from . import PAPER
from .classifier import VGG16Pyramid
from .discriminator import SemanticPyramidDiscriminator
from .generator import SemanticPyramidGenerator
from .norm import BatchNormalizer
from .strategy import SemanticPyramid

GANFORGE_API = "1.0"

FIELDS = (
    ganforge.FieldSpec("pyramid_mask", "nearest", "float", "B,L,H,W",
                       "Semantic Pyramid masks in {0, 1}: one plane per classifier level (conv1..conv5, fc7, fc8); "
                       "fc levels read the plane's mean"),
)
COMPONENTS = (
    ("encoder", "vgg16_pyramid", VGG16Pyramid, PAPER),
    ("normalizer", "semantic_pyramid_bn", BatchNormalizer, "arXiv:1502.03167"),
    ("generator", "semantic_pyramid", SemanticPyramidGenerator, PAPER),
    ("discriminator", "semantic_pyramid", SemanticPyramidDiscriminator, PAPER),
    ("strategy", "semantic_pyramid", SemanticPyramid, PAPER),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for spec in FIELDS:
        register.condition_field(spec)
    for kind, name, cls, paper in COMPONENTS:
        register(kind, name, cls, paper=paper)


@ganforge.hookimpl
def ganforge_cli(group) -> None:
    from .cli import add_commands

    add_commands(group)

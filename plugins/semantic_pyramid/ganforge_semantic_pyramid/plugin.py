"""The plugin module named by the ``ganforge`` entry point: registers Semantic Pyramid's
components, its Condition field and its application commands."""

from __future__ import annotations

import ganforge

from . import PAPER
from .classifier import WEIGHTS_FILES, VGG16Pyramid
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
    ("encoder", "vgg16_pyramid", VGG16Pyramid, PAPER,
     "frozen VGG16 classifier: seven-level feature pyramid (conv1..conv5, fc7, fc8); provides fc7 as style"),
    ("normalizer", "semantic_pyramid_bn", BatchNormalizer, "arXiv:1502.03167",
     "unconditional batch norm, the Semantic Pyramid generator's default normalizer"),
    ("generator", "semantic_pyramid", SemanticPyramidGenerator, PAPER,
     "mirror of a classifier fed with its masked feature pyramid of a reference (exemplar, pyramid_mask, z)"),
    ("discriminator", "semantic_pyramid", SemanticPyramidDiscriminator, PAPER,
     "residual discriminator with spectral norm, one score per image"),
    ("strategy", "semantic_pyramid", SemanticPyramid, PAPER,
     "random pyramid masks; LSGAN + masked classifier-feature reconstruction + diversity"),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for spec in FIELDS:
        register.condition_field(spec)
    for kind, name, cls, paper, summary in COMPONENTS:
        register(kind, name, cls, paper=paper, summary=summary)
    for wf in WEIGHTS_FILES.values():
        register.weights_file(wf)


@ganforge.hookimpl
def ganforge_cli(group) -> None:
    from .cli import add_commands

    add_commands(group)

"""The plugin module named by the ``ganforge`` entry point: registers EdgeGAN's components,
the stage-2 Condition field and the ``ganforge edgegan`` commands."""

from __future__ import annotations

import ganforge

from . import PAPER, PIX2PIX
from .background import SCENE_SKETCH, BackgroundRecipe, PatchDiscriminator, Pix2PixBatchNorm, UNetGenerator
from .dataset import EdgeImagePairs, ScenePairs
from .discriminator import EdgeGANClassifier, EdgeGANCritic
from .encoder import EdgeEncoder
from .generator import EdgeGANGenerator
from .strategy import EdgeGANRecipe

GANFORGE_API = "1.0"

COMPONENTS = (
    ("generator", "edgegan", EdgeGANGenerator, PAPER),
    ("encoder", "edgegan_edge", EdgeEncoder, PAPER),
    ("discriminator", "edgegan_critic", EdgeGANCritic, PAPER),
    ("discriminator", "edgegan_classifier", EdgeGANClassifier, PAPER),
    ("strategy", "edgegan", EdgeGANRecipe, PAPER),
    ("generator", "edgegan_background", UNetGenerator, PIX2PIX),
    ("discriminator", "edgegan_patch", PatchDiscriminator, PIX2PIX),
    ("normalizer", "pix2pix_batch", Pix2PixBatchNorm, PIX2PIX),
    ("strategy", "edgegan_background", BackgroundRecipe, PAPER),
    ("dataset", "edgegan_pairs", EdgeImagePairs, PAPER),
    ("dataset", "edgegan_scene_pairs", ScenePairs, PIX2PIX),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    register.condition_field(SCENE_SKETCH)
    for kind, name, cls, paper in COMPONENTS:
        register(kind, name, cls, paper=paper)


@ganforge.hookimpl
def ganforge_cli(group) -> None:
    from .cli import edgegan

    group.add_command(edgegan)

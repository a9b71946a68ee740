"""The plugin module named by the ``ganforge`` entry point: registers SPADE's components."""

from __future__ import annotations

import ganforge

from . import PAPER
from .discriminator import MultiscalePatchDiscriminator
from .encoder import ConvEncoder
from .generator import SPADEGenerator
from .losses import FeatureMatchingLoss, HingeLoss, KLDivergenceLoss, LSGANLoss, NonSaturatingLoss
from .norm import SPADE
from .strategy import PairedConditional
from .vgg import WEIGHTS_FILE, VGG19PerceptualLoss
from . import convert

GANFORGE_API = "1.0"

PIX2PIXHD = "arXiv:1711.11585"
COMPONENTS = (
    ("normalizer", "spade", SPADE, PAPER),
    ("generator", "spade", SPADEGenerator, PAPER),
    ("encoder", "spade_vae", ConvEncoder, PAPER),
    ("discriminator", "multiscale_patch", MultiscalePatchDiscriminator, PIX2PIXHD),
    ("loss", "hinge", HingeLoss, "arXiv:1705.02894"),
    ("loss", "lsgan", LSGANLoss, "arXiv:1611.04076"),
    ("loss", "nonsaturating", NonSaturatingLoss, "arXiv:1406.2661"),
    ("loss", "feature_matching", FeatureMatchingLoss, PIX2PIXHD),
    ("loss", "vgg19_perceptual", VGG19PerceptualLoss, PIX2PIXHD),
    ("loss", "kl", KLDivergenceLoss, PAPER),
    ("strategy", "paired_conditional", PairedConditional, PAPER),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for kind, name, cls, paper in COMPONENTS:
        register(kind, name, cls, paper=paper)
    register.weights_file(WEIGHTS_FILE)
    register.importer("spade", convert.import_files,
                      "SPADE's latest_net_G.pth / latest_net_D.pth / latest_net_E.pth (NVlabs/SPADE checkpoints/<dataset>_pretrained)")

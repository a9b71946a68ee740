"""The plugin module named by the ``ganforge`` entry point: registers CoCosNet's components,
its condition field ``warped_exemplar`` and its application commands."""

from __future__ import annotations

import ganforge

from . import PAPER
from .correspondence import CorrespondenceNetwork
from .discriminator import CoCosNetDiscriminator
from .generator import CoCosNetGenerator
from .losses import ContextualLoss
from .norm import CoCosNetSPADE
from .pairing import ExemplarPairing
from .strategy import CoCosNet
from . import convert

GANFORGE_API = "1.0"

FIELDS = (
    ganforge.FieldSpec("warped_exemplar", "bilinear", "float", "B,3,H,W",
                       "the exemplar warped into the label map's geometry (CoCosNet's r_{y->x}), in [-1, 1]"),
)
COMPONENTS = (
    ("normalizer", "cocosnet_spade", CoCosNetSPADE, PAPER),
    ("encoder", "cocosnet_correspondence", CorrespondenceNetwork, PAPER),
    ("generator", "cocosnet", CoCosNetGenerator, PAPER),
    ("discriminator", "cocosnet_patch", CoCosNetDiscriminator, PAPER),
    ("loss", "cocosnet_contextual", ContextualLoss, "arXiv:1803.02077"),
    ("strategy", "cocosnet_pairing", ExemplarPairing, PAPER),
    ("strategy", "cocosnet", CoCosNet, PAPER),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for spec in FIELDS:
        register.condition_field(spec)
    for kind, name, cls, paper in COMPONENTS:
        register(kind, name, cls, paper=paper)
    register.importer("cocosnet", convert.import_files,
                      "CoCosNet's <epoch>_net_G.pth / _net_Corr.pth / _net_D.pth (microsoft/CoCosNet)")


@ganforge.hookimpl
def ganforge_cli(group) -> None:
    from .cli import add_commands

    add_commands(group)

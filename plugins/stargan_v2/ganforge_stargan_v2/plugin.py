"""The plugin module named by the ``ganforge`` entry point: registers StarGAN v2's
components, its Condition fields and its application commands."""

from __future__ import annotations

import ganforge

from . import PAPER
from .adain import AdaIN
from .discriminator import MultiTaskDiscriminator
from .fan import WING_FILE, FaceMaskEncoder
from .generator import StarGANv2Generator
from .mapping import MappingNetwork
from .strategy import StarGANv2
from .style_encoder import StyleEncoder
from . import convert

GANFORGE_API = "1.0"

ADAIN_PAPER = "arXiv:1703.06868"
FIELDS = (
    ganforge.FieldSpec("face_mask", "bilinear", "float", "B,2,H,W",
                       "StarGAN v2 face masks in [0, 1]: whole face, and face without jaw line, eyebrows and mouth"),
)
COMPONENTS = (
    ("normalizer", "adain", AdaIN, ADAIN_PAPER),
    ("generator", "stargan_v2", StarGANv2Generator, PAPER),
    ("encoder", "stargan_v2_mapping", MappingNetwork, PAPER),
    ("encoder", "stargan_v2_style", StyleEncoder, PAPER),
    ("discriminator", "stargan_v2", MultiTaskDiscriminator, PAPER),
    ("encoder", "stargan_v2_fan", FaceMaskEncoder, "arXiv:1904.07399"),
    ("strategy", "stargan_v2", StarGANv2, PAPER),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for spec in FIELDS:
        register.condition_field(spec)
    for kind, name, cls, paper in COMPONENTS:
        register(kind, name, cls, paper=paper)
    register.weights_file(WING_FILE)
    register.importer("stargan_v2", convert.import_files,
                      "StarGAN v2's <step>_nets_ema.ckpt / <step>_nets.ckpt (clovaai/stargan-v2 download.sh pretrained-network-*)")


@ganforge.hookimpl
def ganforge_cli(group) -> None:
    from .cli import add_commands

    add_commands(group)

"""The plugin module named by the ``ganforge`` entry point: registers Panoptic-based synthesis' components."""

from __future__ import annotations

import ganforge

from . import PAPER
from .generator import PanopticGenerator
from .metric import InstanceBoundaryContrast
from .norm import PanopticSPADE
from .upsample import PanopticUpsample

GANFORGE_API = "1.0"

COMPONENTS = (
    ("upsampler", "panoptic_upsample", PanopticUpsample,
     "copy features only within a panoptic segment; encode new segments from the semantic map"),
    ("normalizer", "panoptic_spade", PanopticSPADE, "SPADE whose gamma/beta convolutions are panoptic-aware"),
    ("generator", "panoptic", PanopticGenerator, "SPADE's generator with panoptic-aware convolutions and upsampling"),
    ("metric", "instance_boundary", InstanceBoundaryContrast,
     "instance-boundary contrast: colour change across vs inside touching same-class instances"),
)


@ganforge.hookimpl
def ganforge_register(register) -> None:
    for kind, name, cls, summary in COMPONENTS:
        register(kind, name, cls, summary=summary, paper=PAPER)

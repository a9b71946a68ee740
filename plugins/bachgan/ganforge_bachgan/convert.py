"""Import of the released BachGAN checkpoints (``60_net_G.pth`` of Cold-Winter/BachGAN,
Cityscapes; ``150_net_G.pth``, ADE20K) into a `bachgan` generator, and the inverse.

The official generator is SPADE's ``SPADEGenerator`` with the fusion convs at its top
level (``encode_shared.0``, ``memory_shared.0``); here they live in ``fusion``. The rest
differs from this framework exactly as SPADE's checkpoints do (block names, the old
spectral-norm hook), so ``ganforge_spade.convert`` does that part.

The official file also holds layers that never reach the image and are skipped: an FCN
(``conv1_1``, ``conv1_1_memory``, ``conv1_2``, ``conv2_1``, ``conv2_2``, ``upscore``) left
from abandoned variants whose forward code is commented out, and the segmentation head
``conv_seg``, trained only with ``--seg`` (not used by the released models). The official
discriminator is SPADE's on the box layout: `ganforge_spade.convert` maps it directly.

    >>> G = ganforge.build("generator", {"type": "bachgan", "num_upsampling_layers": "more"}, data)
    >>> load_official(G, "checkpoints/city_box_retrival_hallucinate/60_net_G.pth")
"""

from __future__ import annotations

import os
import re

from torch import nn

from ganforge.official import Layout
from ganforge_spade import convert as spade_convert
from ganforge_spade.generator import SPADEGenerator

from .generator import BachGANGenerator

# the official keys of the layers that never reach the output (skipped on import)
UNUSED = re.compile(r"(conv1_1|conv1_1_memory|conv1_2|conv2_1|conv2_2|upscore|conv_seg)\.")


def _generator_key(model: BachGANGenerator, key: str) -> str:
    """SPADE's generator key, the fusion convs at the top level."""
    return spade_convert.LAYOUT.renames[SPADEGenerator](model, key).removeprefix("fusion.")


LAYOUT = Layout("BachGAN", {BachGANGenerator: _generator_key, **spade_convert.LAYOUT.renames},
                hint=spade_convert.LAYOUT.hint, skip=UNUSED)
# ours -> official key; the state_dict as BachGAN saves it; BachGAN's state_dict renamed for a model (checked)
official_names, to_official, from_official = LAYOUT.official_names, LAYOUT.to_official, LAYOUT.from_official
unused_keys = LAYOUT.skipped  # the official keys of layers that never reach the output


def load_official(model: nn.Module, path: str | os.PathLike) -> nn.Module:
    """Load a released BachGAN checkpoint file into ``model`` (in place) and return it."""
    return LAYOUT.load_official(model, path, "download BachGan.zip from the link in Cold-Winter/BachGAN's README "
                                "and point to city_model/60_net_G.pth or ade_model/150_net_G.pth")


import_files = LAYOUT.import_files  # ``ganforge import bachgan``: each released file into the network of its layout

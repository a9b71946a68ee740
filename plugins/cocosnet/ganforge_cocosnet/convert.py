"""Import of the released CoCosNet checkpoints (``<epoch>_net_G.pth``, ``_net_Corr.pth``,
``_net_D.pth`` of microsoft/CoCosNet) into this plugin's networks, and the inverse.

The module names here are the official ones (``adaptive_model_seg.layer1.0``,
``head_0.norm_0.mlp_shared.1``, ``discriminator_0.model1.0.0`` ...), so the layouts differ
in two ways only: spectral norm is torch's parametrization here where CoCosNet used the
old hook (``weight_orig`` / ``weight_u`` / ``weight_v``), and the official discriminator
holds a segmentation decoder (``discriminator_<i>.dec.*``) that its forward never calls,
which is dropped on import and absent from an export.

    >>> corr = ganforge.build("encoder", "cocosnet_correspondence", data)
    >>> load_official(corr, "checkpoints/ade20k/latest_net_Corr.pth")
"""

from __future__ import annotations

import os
import re

from torch import nn

from ganforge.official import Layout

from .correspondence import CorrespondenceNetwork
from .discriminator import CoCosNetDiscriminator
from .generator import CoCosNetGenerator

UNUSED = re.compile(r"discriminator_\d+\.dec\.")  # the official D's never-called decoder
RELEASE = {CoCosNetGenerator: "net_G", CorrespondenceNetwork: "net_Corr", CoCosNetDiscriminator: "net_D"}

LAYOUT = Layout("CoCosNet", {cls: lambda model, key: key for cls in RELEASE},  # the official module names
                hint="label_nc, contain_dontcare_label, ngf/ndf, maskmix, adaptor_kernel, use_attention", skip=UNUSED)
# ours -> official key; the state_dict as CoCosNet saves it; CoCosNet's state_dict renamed for a model (checked)
official_names, to_official, from_official = LAYOUT.official_names, LAYOUT.to_official, LAYOUT.from_official


def load_official(model: nn.Module, path: str | os.PathLike) -> nn.Module:
    """Load a released CoCosNet checkpoint file into ``model`` (in place) and return it."""
    what = RELEASE.get(type(model), "net_G / net_Corr / net_D")
    return LAYOUT.load_official(model, path, "download the pretrained models linked from microsoft/CoCosNet's "
                                f"README and point to latest_{what}.pth")


import_files = LAYOUT.import_files  # ``ganforge import cocosnet``: each released file into the network of its layout

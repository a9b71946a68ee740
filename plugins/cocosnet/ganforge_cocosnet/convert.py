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

import torch
from torch import nn

from ganforge.weights import load_state_dict, rename_checked
from ganforge.official import hook_spectral_name

from .correspondence import CorrespondenceNetwork
from .discriminator import CoCosNetDiscriminator
from .generator import CoCosNetGenerator

UNUSED = re.compile(r"discriminator_\d+\.dec\.")  # the official D's never-called decoder
RELEASE = {CoCosNetGenerator: "net_G", CorrespondenceNetwork: "net_Corr", CoCosNetDiscriminator: "net_D"}


def official_names(model: nn.Module) -> dict[str, str]:
    """This model's state_dict key -> the key of the same tensor in CoCosNet's checkpoints."""
    if not isinstance(model, tuple(RELEASE)):
        raise TypeError(f"no CoCosNet checkpoint layout for {type(model).__name__}")
    return {key: hook_spectral_name(key) for key in model.state_dict()}


def to_official(model: nn.Module) -> dict[str, torch.Tensor]:
    """The model's state_dict under CoCosNet's key names."""
    names = official_names(model)
    return {names[k]: v for k, v in model.state_dict().items()}


def from_official(model: nn.Module, state_dict: dict[str, torch.Tensor], source: str = "the checkpoint"
                  ) -> dict[str, torch.Tensor]:
    """CoCosNet's ``state_dict`` renamed for ``model``; a key or shape that does not fit is
    an error naming it (usually a config that differs from the checkpoint's)."""
    state_dict = {k.removeprefix("module."): v for k, v in state_dict.items() if not UNUSED.match(k)}
    return rename_checked(model, state_dict, official_names(model), source,
                          "label_nc, contain_dontcare_label, ngf/ndf, maskmix, adaptor_kernel, use_attention")


def load_official(model: nn.Module, path: str | os.PathLike) -> nn.Module:
    """Load a released CoCosNet checkpoint file into ``model`` (in place) and return it."""
    what = RELEASE.get(type(model), "net_G / net_Corr / net_D")
    state = load_state_dict(path, "a CoCosNet checkpoint", "download the pretrained models linked from "
                            f"microsoft/CoCosNet's README and point to latest_{what}.pth")
    model.load_state_dict(from_official(model, state, source=str(path)))
    return model


def import_files(files, models) -> "ganforge.official.Imported":
    """``ganforge import cocosnet``: each released file into the network of its layout."""
    from ganforge.official import by_layout

    return by_layout(files, models, official_names, from_official)

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

import torch
from torch import nn

from ganforge.weights import load_state_dict
from ganforge_spade import convert as spade_convert

from .generator import BachGANGenerator

FUSION = ("encode_shared.", "memory_shared.")
UNUSED = ("conv1_1.", "conv1_1_memory.", "conv1_2.", "conv2_1.", "conv2_2.", "upscore.", "conv_seg.")


def unused_keys(state_dict: dict[str, torch.Tensor]) -> list[str]:
    """The official keys of layers that never reach the output (skipped on import)."""
    return [k for k in state_dict if k.startswith(UNUSED)]


def official_names(model: nn.Module) -> dict[str, str]:
    """This model's state_dict key -> the key of the same tensor in BachGAN's checkpoints."""
    names = spade_convert.official_names(model)
    if isinstance(model, BachGANGenerator):
        names = {k: v.removeprefix("fusion.") for k, v in names.items()}
    return names


def to_official(model: nn.Module) -> dict[str, torch.Tensor]:
    """The model's state_dict under BachGAN's key names (without the unused layers)."""
    names = official_names(model)
    return {names[k]: v for k, v in model.state_dict().items()}


def from_official(model: nn.Module, state_dict: dict[str, torch.Tensor], source: str = "the checkpoint"
                  ) -> dict[str, torch.Tensor]:
    """BachGAN's ``state_dict`` renamed for ``model``, the unused layers dropped; a key or
    shape that does not fit is a `ConfigError` naming it."""
    if isinstance(model, BachGANGenerator):
        state_dict = {("fusion." + k if k.startswith(FUSION) else k): v for k, v in state_dict.items()
                      if not k.startswith(UNUSED)}
    return spade_convert.from_official(model, state_dict, source)


def load_official(model: nn.Module, path: str | os.PathLike) -> nn.Module:
    """Load a released BachGAN checkpoint file into ``model`` (in place) and return it."""
    state = load_state_dict(path, "a BachGAN checkpoint", "download BachGan.zip from the link in "
                            "Cold-Winter/BachGAN's README and point to city_model/60_net_G.pth or ade_model/150_net_G.pth")
    model.load_state_dict(from_official(model, state, source=str(path)))
    return model


def import_files(files, models) -> "ganforge.official.Imported":
    """``ganforge import bachgan``: each released file into the network of its layout."""
    from ganforge.official import by_layout

    return by_layout(files, models, official_names, from_official)

"""Import of the released SMIS checkpoints (``latest_net_G.pth``, ``latest_net_E.pth``,
``latest_net_D.pth`` of Seanseattle/SMIS) into this plugin's networks, and the inverse.

The layouts differ in three ways: the decoder's blocks are one ``blocks`` list here
(``head_0, G_middle_0, G_middle_1, up_0 ... up_3`` there); the encoder's layers are units
here (``layers.<n>.conv``) where the official ``layer<n+1>`` is a ``Sequential(conv,
InstanceNorm)``; and spectral norm is torch's parametrization here where the official
code used the old hook. The discriminator is SPADE's, so SPADE's mapping serves it.
CG-Norm's, the blocks' and the heads' own names (``norm_0.mlp_shared.0``, ``conv_s``,
``fc_mu``, ``conv_img`` ...) are the official ones.

    >>> G = ganforge.build("generator", {"type": "groupdnet"}, deepfashion_data)
    >>> load_official(G, "checkpoints/deepfashion_smis/latest_net_G.pth")
"""

from __future__ import annotations

import os
import re

from torch import nn

from ganforge.official import Layout
from ganforge_spade import convert as spade_convert
from ganforge_spade.discriminator import MultiscalePatchDiscriminator

from .encoder import GroupDNetEncoder
from .generator import GroupDNet

GENERATOR_BLOCKS = ("head_0", "G_middle_0", "G_middle_1", "up_0", "up_1", "up_2", "up_3")


def _generator_key(model: GroupDNet, key: str) -> str:
    m = re.fullmatch(r"blocks\.(\d+)\.(.+)", key)
    return f"{GENERATOR_BLOCKS[int(m[1])]}.{m[2]}" if m else key


def _encoder_key(model: GroupDNetEncoder, key: str) -> str:
    """``layer<n+1>.0.`` (conv) / ``.1.`` (norm) inside the official conv+norm ``Sequential``
    when the layer is normalised, the bare ``layer<n+1>.`` conv otherwise."""
    m = re.fullmatch(r"layers\.(\d+)\.(conv|norm)\.(.+)", key)
    if not m:
        return key  # fc_mu, fc_var
    n, part, rest = m.groups()
    if not model.layers[int(n)].has_norm:
        return f"layer{int(n) + 1}.{rest}"
    return f"layer{int(n) + 1}.{0 if part == 'conv' else 1}.{rest}"


LAYOUT = Layout("SMIS", {GroupDNet: _generator_key, GroupDNetEncoder: _encoder_key,
                         MultiscalePatchDiscriminator: spade_convert.LAYOUT.renames[MultiscalePatchDiscriminator]},
                hint="label_nc, contain_dontcare_label, use_instance, ngf/ndf, groups, layout and the norm variant")
# ours -> official key; the state_dict as SMIS saves it; SMIS's state_dict renamed for a model (checked)
official_names, to_official, from_official = LAYOUT.official_names, LAYOUT.to_official, LAYOUT.from_official


def load_official(model: nn.Module, path: str | os.PathLike) -> nn.Module:
    """Load a released SMIS checkpoint file into ``model`` (in place) and return it."""
    return LAYOUT.load_official(model, path, "download the pretrained models of Seanseattle/SMIS and "
                              "point to latest_net_G.pth / _E / _D")


import_files = LAYOUT.import_files  # ``ganforge import smis``: each released file into the network of its layout

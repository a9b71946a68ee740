"""Import of the released SPADE checkpoints (``latest_net_G.pth``, ``latest_net_D.pth``,
``latest_net_E.pth`` of NVlabs/SPADE) into this plugin's networks, and the inverse.

The layouts differ in three ways: the generator's blocks are one ``blocks`` list here
(``head_0, G_middle_0, G_middle_1, up_0 ...`` there); the discriminator's and encoder's
layers are ``ConvNormAct`` units here (nested ``Sequential``s named ``model<n>`` /
``layer<n>`` there); and spectral norm is torch's parametrization here
(``parametrizations.weight.original`` / ``.0._u`` / ``.0._v``) where SPADE used the old
hook (``weight_orig`` / ``weight_u`` / ``weight_v``). The tensors themselves are the same.

    >>> G = ganforge.build("generator", {"type": "spade", "num_upsampling_layers": "more"}, data)
    >>> load_official(G, "checkpoints/cityscapes_pretrained/latest_net_G.pth")
"""

from __future__ import annotations

import os
import re

from torch import nn

from ganforge.official import Layout

from .discriminator import MultiscalePatchDiscriminator
from .encoder import ConvEncoder
from .generator import SPADEGenerator

# The official names of the generator's blocks, in forward order.
GENERATOR_BLOCKS = ("head_0", "G_middle_0", "G_middle_1", "up_0", "up_1", "up_2", "up_3", "up_4")
def _generator_key(model: SPADEGenerator, key: str) -> str:
    m = re.fullmatch(r"blocks\.(\d+)\.(.+)", key)
    return f"{GENERATOR_BLOCKS[int(m[1])]}.{m[2]}" if m else key


def _unit_key(unit, part: str, rest: str, prefix: str) -> str:
    """A ConvNormAct's key in SPADE's layout: ``prefix.0.`` (conv) / ``prefix.1.`` (norm) inside
    the conv+norm ``Sequential`` when the layer is normalised, the bare conv otherwise."""
    if unit.has_norm:
        return f"{prefix}.{0 if part == 'conv' else 1}.{rest}"
    return f"{prefix}.{rest}"


def _discriminator_key(model: MultiscalePatchDiscriminator, key: str) -> str:
    i, n, part, rest = re.fullmatch(r"scales\.(\d+)\.layers\.(\d+)\.(conv|norm)\.(.+)", key).groups()
    # Each official layer is Sequential(unit, LeakyReLU), so the unit sits at index 0.
    return _unit_key(model.scales[int(i)].layers[int(n)], part, rest, f"discriminator_{i}.model{n}.0")


def _encoder_key(model: ConvEncoder, key: str) -> str:
    m = re.fullmatch(r"layers\.(\d+)\.(conv|norm)\.(.+)", key)
    if not m:
        return key  # fc_mu, fc_var
    k, part, rest = m.groups()
    return _unit_key(model.layers[int(k)], part, rest, f"layer{int(k) + 1}")


LAYOUT = Layout("SPADE", {SPADEGenerator: _generator_key, MultiscalePatchDiscriminator: _discriminator_key,
                          ConvEncoder: _encoder_key},
                hint="label_nc, contain_dontcare_label, use_instance, ngf/ndf, num_upsampling_layers, use_vae")
# ours -> official key; the state_dict as SPADE saves it; SPADE's state_dict renamed for a model (checked)
official_names, to_official, from_official = LAYOUT.official_names, LAYOUT.to_official, LAYOUT.from_official


def load_official(model: nn.Module, path: str | os.PathLike) -> nn.Module:
    """Load a released SPADE checkpoint file into ``model`` (in place) and return it."""
    return LAYOUT.load_official(model, path, "download the pretrained models from NVlabs/SPADE and "
                              "point to latest_net_G.pth / _D / _E")


import_files = LAYOUT.import_files  # ``ganforge import spade``: each released file into the network of its layout

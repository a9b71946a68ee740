"""Group convolutions, GroupDNet's one building block (Sec. 3.2): a conv with G groups sees
only its own 1/G of the input channels, so as long as each class owns its own channels
(G = K), no class's code can leak into another class's features."""

from __future__ import annotations

from torch import nn
from ganforge.spectral import spectral_norm  # the official (v, then u) update order

import ganforge
from ganforge_spade.layers import InitParams, init_layer


def group_conv(in_ch: int, out_ch: int, kernel_size: int, groups: int, *, stride: int = 1, padding: int = 0,
               bias: bool = True, spectral: bool = False, init: InitParams, who: str) -> nn.Module:
    """A grouped conv initialised as SPADE/SMIS do (xavier, gain 0.02), spectral-normalised when asked."""
    if groups < 1 or in_ch % groups or out_ch % groups:
        raise ganforge.ConfigError(f"{who}: a group conv {in_ch} -> {out_ch} channels cannot have {groups} groups "
                                   "(both channel counts must be multiples of it)")
    conv = init_layer(nn.Conv2d(in_ch, out_ch, kernel_size, stride=stride, padding=padding, bias=bias, groups=groups),
                      init.init_type, init.init_gain)
    return spectral_norm(conv) if spectral else conv

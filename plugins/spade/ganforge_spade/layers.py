"""Building blocks shared by SPADE's networks: initialisation, spectral-norm convs,
and the conv -> norm -> activation unit of the discriminator and the encoder."""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field
from torch import nn
from ganforge.spectral import spectral_norm  # the official (v, then u) update order

import ganforge
from ganforge.onehot_conv import OneHotConv2d

InitType = Literal["xavier", "normal", "kaiming", "orthogonal", "none"]
NormType = Literal["instance", "batch", "syncbatch", "none"]


class InitParams(ganforge.Params):
    """SPADE initialises every conv/linear layer the same way (``--init_type xavier``,
    ``--init_variance 0.02``, biases zero); each network exposes both knobs."""

    init_type: InitType = Field("xavier", description="weight initialisation of conv and linear layers")
    init_gain: float = Field(0.02, gt=0, description="gain (std for 'normal') of the initialisation")


def init_layer(layer: nn.Module, init_type: InitType, gain: float) -> nn.Module:
    """Initialise one conv or linear layer as SPADE's ``BaseNetwork.init_weights`` does.

    Called before spectral norm wraps the layer, so the raw weight is what gets set.
    """
    weight = layer.weight
    with torch.no_grad():
        if init_type == "xavier":
            nn.init.xavier_normal_(weight, gain=gain)
        elif init_type == "normal":
            nn.init.normal_(weight, 0.0, gain)
        elif init_type == "kaiming":
            nn.init.kaiming_normal_(weight, a=0, mode="fan_in")
        elif init_type == "orthogonal":
            nn.init.orthogonal_(weight, gain=gain)
        else:  # "none": PyTorch's default initialisation, biases included
            return layer
        if layer.bias is not None:
            nn.init.zeros_(layer.bias)
    return layer


def conv2d(in_ch: int, out_ch: int, kernel_size: int, *, stride: int = 1, padding: int = 0, bias: bool = True,
           spectral: bool = False, init: InitParams) -> nn.Module:
    """A conv initialised as SPADE does, wrapped in spectral normalisation when asked."""
    conv = init_layer(nn.Conv2d(in_ch, out_ch, kernel_size, stride=stride, padding=padding, bias=bias),
                      init.init_type, init.init_gain)
    return spectral_norm(conv) if spectral else conv


def onehot_conv2d(num_classes: int, in_ch: int, out_ch: int, kernel_size: int, *, stride: int = 1,
                  padding: int = 0, bias: bool = True, spectral: bool = False, onehot_at: int = 0,
                  init: InitParams) -> nn.Module:
    """`conv2d` over [before | one-hot | after] channels that can also run as an exact lookup."""
    conv = OneHotConv2d(num_classes, in_ch, out_ch, kernel_size, stride=stride, padding=padding, bias=bias,
                        onehot_at=onehot_at)
    conv = init_layer(conv, init.init_type, init.init_gain)
    return spectral_norm(conv) if spectral else conv


def linear(in_features: int, out_features: int, init: InitParams) -> nn.Linear:
    return init_layer(nn.Linear(in_features, out_features), init.init_type, init.init_gain)


def param_free_norm(kind: NormType, num_features: int) -> nn.Module:
    """A normalisation without learned affine parameters.

    ``syncbatch`` is `nn.SyncBatchNorm`: on one process it is exactly BatchNorm2d (same
    statistics and state_dict), under DDP on GPU it shares batch statistics across ranks
    as SPADE's 8-GPU training did.
    """
    if kind == "instance":
        return nn.InstanceNorm2d(num_features, affine=False)
    if kind == "batch":
        return nn.BatchNorm2d(num_features, affine=False)
    if kind == "syncbatch":
        return nn.SyncBatchNorm(num_features, affine=False)
    return nn.Identity()


class ConvNormAct(nn.Module):
    """conv -> parameter-free norm -> LeakyReLU(0.2): one layer of pix2pixHD's patch
    discriminator and of SPADE's image encoder (``norm_D`` / ``norm_E`` =
    ``spectralinstance``). A normalised conv has no bias: the norm would remove it."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, stride: int, padding: int, *,
                 norm: NormType, spectral: bool, activation: bool, init: InitParams, onehot_classes: int = 0):
        super().__init__()
        if onehot_classes:  # input leads with a one-hot map: the conv can also run as a lookup
            self.conv = onehot_conv2d(onehot_classes, in_ch, out_ch, kernel_size, stride=stride, padding=padding,
                                      bias=norm == "none", init=init)
        else:
            self.conv = conv2d(in_ch, out_ch, kernel_size, stride=stride, padding=padding, bias=norm == "none",
                               spectral=spectral, init=init)
        self.norm = param_free_norm(norm, out_ch)
        self.act = nn.LeakyReLU(0.2) if activation else nn.Identity()

    @property
    def has_norm(self) -> bool:
        return not isinstance(self.norm, nn.Identity)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))

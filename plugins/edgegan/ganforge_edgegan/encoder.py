"""EdgeGAN's edge encoder E (Sec. 3.1): maps an edge map back to the noise part of the
latent vector, trained with L1 to the z that drew the edge. At test time a freehand
sketch goes through E, which is why the sketch never has to be seen in training.

The TF code's ``Encoder._resnet`` (``if_resnet_e``): a 4x4 stride-2 conv to 64 channels,
residual blocks to 128, 256, 512, 512 channels each followed by 2x2 average pooling, a
global average, and two linear heads mu and log sigma; z = mu + eps * exp(log sigma).
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo

from .layers import NormType, norm2d, normal_init, to_edge_image


class EdgeEncoderParams(ganforge.Params):
    z_dim: int = Field(100, ge=1, description="latent size it predicts (TF z_dim)")
    nef: int = Field(64, ge=1, description="channels of the first conv; the blocks have 2, 4, 8, 8 x nef")
    size: int = Field(64, ge=16, description="side of the edge maps it reads (TF input_height); 256 adds a block")
    edge_channels: int = Field(3, ge=1, description="channels of the edge maps (the TF code: RGB)")
    norm: NormType = Field("instance", description="norm in the residual blocks (TF E_norm)")
    field: Literal["sketch", "edge"] = Field("sketch", description="Condition field forward() encodes")


class ResidualBlock(nn.Module):
    """conv3x3 -> norm -> ReLU -> conv3x3 -> norm, plus a 1x1 shortcut, ReLU (reflect padding)."""

    def __init__(self, in_ch: int, out_ch: int, norm: NormType):
        super().__init__()
        self.conv1 = normal_init(nn.Conv2d(in_ch, out_ch, 3, padding=1, padding_mode="reflect"))
        self.conv2 = normal_init(nn.Conv2d(out_ch, out_ch, 3, padding=1, padding_mode="reflect"))
        self.shortcut = normal_init(nn.Conv2d(in_ch, out_ch, 1))
        self.norm1, self.norm2 = norm2d(norm, out_ch), norm2d(norm, out_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.norm2(self.conv2(F.relu(self.norm1(self.conv1(x)))))
        return F.relu(self.shortcut(x) + out)


class EdgeEncoder(ganforge.Encoder):
    """E: an edge map (or the condition's sketch) -> z, with mu and log sigma."""

    Params: ClassVar = EdgeEncoderParams
    provides = frozenset({"z"})

    def __init__(self, params: EdgeEncoderParams, data: DataInfo):
        super().__init__(params, data)
        n = params.nef
        widths = [n, 2 * n, 4 * n, 8 * n, 8 * n] + ([8 * n] if params.size >= 256 else [])
        self.stem = normal_init(nn.Conv2d(params.edge_channels, n, 4, 2, 1))
        self.blocks = nn.ModuleList(ResidualBlock(a, b, params.norm) for a, b in zip(widths[:-1], widths[1:]))
        self.mu = normal_init(nn.Linear(widths[-1], params.z_dim))
        self.log_sigma = normal_init(nn.Linear(widths[-1], params.z_dim))

    @classmethod
    def requirements(cls, params: EdgeEncoderParams, data: DataInfo) -> frozenset[str]:
        return frozenset({params.field})

    def forward(self, image: torch.Tensor, cond: Condition) -> dict[str, torch.Tensor]:
        """The z of the condition's ``field`` ({0, 1} strokes, resized to ``size``); ``image``
        (the real picture, in the Encoder contract) is not read: E sees only edges."""
        strokes = cond[self.params.field].float()
        if tuple(strokes.shape[-2:]) != (self.params.size,) * 2:
            # max pooling keeps thin strokes when shrinking; nearest when enlarging
            strokes = (F.adaptive_max_pool2d(strokes, self.params.size) if strokes.shape[-1] > self.params.size
                       else F.interpolate(strokes, size=(self.params.size,) * 2, mode="nearest"))
        return self.encode(to_edge_image(strokes, self.params.edge_channels))

    def encode(self, edge: torch.Tensor) -> dict[str, torch.Tensor]:
        """An edge image (B, edge_channels, size, size) in [-1, 1], black lines on white ->
        z (= mu in eval mode), mu, log sigma and logvar = 2 log sigma (for a KL term)."""
        if edge.shape[1:] != (self.params.edge_channels, self.params.size, self.params.size):
            raise ganforge.ConditionMismatch(f"edgegan_edge: edge images must be ({self.params.edge_channels}, "
                                             f"{self.params.size}, {self.params.size}), got {tuple(edge.shape[1:])}")
        x = F.relu(self.stem(edge))
        for block in self.blocks:
            x = F.avg_pool2d(block(x), 2)
        x = F.relu(x).mean((2, 3))
        mu, log_sigma = self.mu(x), self.log_sigma(x)
        z = mu + torch.randn_like(mu) * log_sigma.exp() if self.training else mu
        return {"z": z, "mu": mu, "log_sigma": log_sigma, "logvar": 2 * log_sigma}

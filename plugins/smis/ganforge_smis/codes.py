"""GroupDNet's class-specific latent codes (Sec. 3.1-3.2).

Every class k gets its own code: ``code_channels`` (8 in the official code) feature maps
of the decoder's start size (sh, sw) = resolution / 2^n. In a `Condition` the codes are
the style matrix ``region_style`` (B, K, D) with D = code_channels * sh * sw — "one code
per semantic class", the same field SEAN's normalizer reads — and the decoder sees them
as (B, K * code_channels, sh, sw): class k owns channels [k * C, (k + 1) * C), exactly the
layout of the official ``z.view(B, semantic_nc * 8, 4, 4)``.
"""

from __future__ import annotations

import torch

import ganforge
from ganforge import DataInfo

# Upsamplings between the codes' size and the image: SPADE's 'normal' and 'more'.
NUM_UPSAMPLINGS = {"normal": 5, "more": 6}


def num_classes(data: DataInfo, who: str) -> int:
    """K: one code per label id, the "don't care" id included (official ``semantic_nc``
    without the instance channel)."""
    if data.label_nc < 1:
        raise ganforge.ConfigError(f"{who}: GroupDNet needs a label map, but the data's label_nc is 0")
    return data.label_nc + int(data.contain_dontcare_label)


def latent_size(data: DataInfo, num_upsampling_layers: str, who: str) -> tuple[int, int]:
    """(sh, sw) = resolution / 2^n, the spatial size of every class code."""
    n = NUM_UPSAMPLINGS[num_upsampling_layers]
    h, w = data.resolution
    if h % 2 ** n or w % 2 ** n:
        raise ganforge.ConfigError(f"{who}: data.resolution {h}x{w} must be divisible by 2^{n} = {2 ** n} with "
                                   f"num_upsampling_layers='{num_upsampling_layers}'")
    return h // 2 ** n, w // 2 ** n


def to_maps(codes: torch.Tensor, code_channels: int, size: tuple[int, int]) -> torch.Tensor:
    """(B, K, D) -> (B, K * code_channels, sh, sw)."""
    return codes.reshape(codes.shape[0], codes.shape[1] * code_channels, *size)


def from_maps(maps: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(B, K * C, sh, sw) -> (B, K, D): the inverse of `to_maps`."""
    return maps.reshape(maps.shape[0], num_classes, -1)


def check_codes(codes: torch.Tensor, batch: int, num_classes: int, dim: int, who: str) -> None:
    """A clear error instead of a reshape crash when the codes do not fit the decoder."""
    if tuple(codes.shape) != (batch, num_classes, dim):
        raise ganforge.ConditionMismatch(
            f"{who}: condition field 'region_style' has shape {tuple(codes.shape)}, expected (B, K, D) = "
            f"{(batch, num_classes, dim)} (K = label_nc + don't-care, D = code_channels x sh x sw); "
            "the encoder and the generator must agree on code_channels and num_upsampling_layers")

"""The two operations that connect a style matrix with a label map (Sec. 3.1-3.2):
masked average pooling (image features -> one code per class) and its inverse,
broadcasting (one code per class -> a per-pixel style map).

Both work on the one-hot masks of the label map, so they are single einsums: exactly
the official per-sample, per-class loops, without the loops. A class absent from an
image gets a zero code, and a zero code broadcasts to no pixel at all.
"""

from __future__ import annotations

import torch

import ganforge
from ganforge import Condition, DataInfo


def style_classes(data: DataInfo, who: str) -> int:
    """K, the rows of the style matrix: one per label id (the "don't care" id included)."""
    if data.label_nc < 1:
        raise ganforge.ConfigError(f"{who}: SEAN needs a label map, but the data's label_nc is 0")
    return data.label_nc + int(data.contain_dontcare_label)


def region_masks(cond: Condition, num_classes: int, size: tuple[int, int]) -> torch.Tensor:
    """(B, K, H, W) one-hot masks of the label map resized (nearest) to ``size``, built
    once per Condition and size."""
    size = tuple(size)
    return cond.memo(("sean.region_masks", num_classes, size),
                     lambda: Condition(label=cond["label"]).resized(size).onehot(num_classes))


def masked_average(features: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """(B, K, D) mean of ``features`` (B, D, H, W) over each mask; zero for empty masks."""
    masks = masks.to(features.dtype)
    sums = torch.einsum("bkhw,bdhw->bkd", masks, features)
    area = masks.sum(dim=(2, 3)).unsqueeze(-1)
    return sums / area.clamp(min=1)


def broadcast(codes: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """(B, D, H, W): every pixel gets the code (B, K, D) of its class."""
    return torch.einsum("bkd,bkhw->bdhw", codes, masks.to(codes.dtype))


def check_style_matrix(codes: torch.Tensor, batch: int, num_classes: int, style_length: int, who: str) -> None:
    """A clear error instead of an einsum shape crash when the style matrix does not fit."""
    expected = (batch, num_classes, style_length)
    if tuple(codes.shape) != expected:
        raise ganforge.ConditionMismatch(
            f"{who}: condition field 'region_style' has shape {tuple(codes.shape)}, expected (B, K, D) = "
            f"{expected} (K = label_nc + don't-care = {num_classes}, D = style_length = {style_length}); "
            "the style encoder and the normalizer must agree on style_length")

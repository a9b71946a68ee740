"""The semantic map SPADE feeds its networks: the one-hot label map, an extra channel for
the "don't care" id when the dataset has one, and the instance boundary map."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pydantic import Field

import ganforge
from ganforge import Condition, DataInfo

LOOKUP_DOC = ("compute convs over the one-hot label map as an exact lookup (same weights, outputs "
              "equal up to fp32 summation order, faster); false: a dense conv over the one-hot map")
USE_INSTANCE_DOC = ("add the instance boundary map to the semantic map (SPADE's --no_instance inverted); "
                    "null: exactly when the data provides 'instance'")


def use_instance_field():
    return Field(None, description=USE_INSTANCE_DOC)


def lookup_field():
    return Field(True, description=LOOKUP_DOC)


def uses_instance(use_instance: bool | None, data: DataInfo) -> bool:
    return ("instance" in data.fields) if use_instance is None else use_instance


def requirements(use_instance: bool | None, data: DataInfo) -> frozenset[str]:
    """'label', plus 'instance' when the semantic map includes instance edges."""
    return frozenset({"label", "instance"} if uses_instance(use_instance, data) else {"label"})


def semantic_nc(data: DataInfo, use_instance: bool | None) -> int:
    """Channels of the semantic map (SPADE's ``opt.semantic_nc``)."""
    if data.label_nc < 1:
        raise ganforge.ConfigError("SPADE needs a label map: the data's label_nc is 0")
    return data.label_nc + int(data.contain_dontcare_label) + int(uses_instance(use_instance, data))


def semantic_map(cond: Condition, data: DataInfo, use_instance: bool | None,
                 size: tuple[int, int] | None = None) -> torch.Tensor:
    """(B, semantic_nc, H, W) contiguous float map at ``size`` (default: the label's own size).

    Equal to SPADE's full-resolution map resized with nearest: the label is resized
    before the one-hot (nearest commutes with it) and instance edges are found at full
    resolution before resizing, so thin boundaries survive exactly as in SPADE. Built
    once per Condition and size: every layer at one resolution shares it.
    """
    size = tuple(size) if size is not None else tuple(cond["label"].shape[-2:])
    key = ("spade.semantic_map", data.label_nc, data.contain_dontcare_label, uses_instance(use_instance, data), size)
    return cond.memo(key, lambda: _build(cond, data, use_instance, size))


def semantic_ids(cond: Condition, data: DataInfo, use_instance: bool | None,
                 size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The semantic map at ``size`` as `OneHotConv2d.lookup` reads it: (B, H, W) label ids
    (the don't-care id included) and the dense (B, 1, H, W) instance edges, or None."""
    size = tuple(size)
    ids = cond.memo(("spade.ids", size), lambda: Condition(label=cond["label"]).resized(size)["label"])
    return ids, (edges_at(cond, size) if uses_instance(use_instance, data) else None)


def onehot_classes(data: DataInfo) -> int:
    """The one-hot channels that lead the semantic map (label_nc, plus the don't-care id)."""
    return data.label_nc + int(data.contain_dontcare_label)


def _build(cond: Condition, data: DataInfo, use_instance: bool | None, size: tuple[int, int]) -> torch.Tensor:
    label = Condition(label=cond["label"]).resized(size)
    maps = [label.onehot(onehot_classes(data))]
    if uses_instance(use_instance, data):
        maps.append(edges_at(cond, size))
    return torch.cat(maps, dim=1)


def edges_at(cond: Condition, size: tuple[int, int]) -> torch.Tensor:
    """(B, 1, H, W) instance boundaries found at full resolution, resized with nearest."""
    def build():
        edges = cond.memo(("instance_edges",), lambda: ganforge.instance_edges(cond["instance"]))
        return edges if tuple(edges.shape[-2:]) == size else F.interpolate(edges, size=size, mode="nearest")
    return cond.memo(("spade.edges", size), build)

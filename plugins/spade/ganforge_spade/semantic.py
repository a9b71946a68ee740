"""The semantic map SPADE feeds its networks: the one-hot label map, an extra channel for
the "don't care" id when the dataset has one, and the instance boundary map."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pydantic import Field

import ganforge
from ganforge import Condition, DataInfo

USE_INSTANCE_DOC = ("add the instance boundary map to the semantic map (SPADE's --no_instance inverted); "
                    "null: exactly when the data provides 'instance'")


def use_instance_field():
    return Field(None, description=USE_INSTANCE_DOC)


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
    """(B, semantic_nc, H, W) float map at ``size`` (default: the label's own size).

    Equal to SPADE's full-resolution map resized with nearest: the label is resized
    before the one-hot (nearest commutes with it) and instance edges are found at full
    resolution before resizing, so thin boundaries survive exactly as in SPADE.
    """
    size = tuple(size) if size is not None else tuple(cond["label"].shape[-2:])
    label = Condition(label=cond["label"]).resized(size)
    maps = [label.onehot(data.label_nc + int(data.contain_dontcare_label))]
    if uses_instance(use_instance, data):
        edges = ganforge.instance_edges(cond["instance"])
        if tuple(edges.shape[-2:]) != size:
            edges = F.interpolate(edges, size=size, mode="nearest")
        maps.append(edges)
    return torch.cat(maps, dim=1)

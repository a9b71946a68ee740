"""Activation-tensor manipulation (Sec. 5): read the synthesis activations of one embedding
and copy / blend them spatially into another's through the capability's ``edit`` callback."""

from __future__ import annotations

import torch
import torch.nn.functional as F

import ganforge
from ganforge.capabilities import ActivationEdit, StyleLatentGenerator, require

from .embed import WHO


def check_layers(G: StyleLatentGenerator, layers: list[str]) -> None:
    names = G.activation_names()
    unknown = [n for n in layers if n not in names]
    if unknown:
        raise ganforge.ConfigError(f"{WHO}: activation layers {unknown} not in the generator's "
                                   f"activation_names(): {', '.join(names)}")


@torch.no_grad()
def record_activations(G: StyleLatentGenerator, ws: torch.Tensor, noise: list[torch.Tensor],
                       layers: list[str]) -> dict[str, torch.Tensor]:
    """The outputs of the named synthesis layers when rendering (ws, noise)."""
    require(G, StyleLatentGenerator, WHO)
    check_layers(G, layers)
    seen: dict[str, torch.Tensor] = {}

    def keep(name: str, x: torch.Tensor) -> torch.Tensor:
        if name in layers:
            seen[name] = x.clone()
        return x

    G.synthesis(ws, noise, edit=keep)
    return seen


def spatial_blend(source: dict[str, torch.Tensor], mask: torch.Tensor) -> ActivationEdit:
    """An edit replacing, in every layer of ``source``, the activation by the source's where
    ``mask`` (B or 1, 1, H, W) is 1, blending where it is fractional; the mask is resized
    bilinearly to each layer's resolution. Mask 1 everywhere = a plain copy."""

    def edit(name: str, x: torch.Tensor) -> torch.Tensor:
        if name not in source:
            return x
        m = F.interpolate(mask.to(x), size=x.shape[-2:], mode="bilinear", align_corners=False)
        return x + m * (source[name] - x)

    return edit

"""The paper's application: translating images between the two domains with a trained
run (X -> Y with G_{x->y}(E_x(x)), and back), plus the attention heatmap of E_x."""

from __future__ import annotations

import os
import torch
from torch import nn

import ganforge
from ganforge import Condition, DataInfo

DIRECTIONS = {"ab": ("discriminator_a", "generator_ab", "discriminator_b", "generator_ba"),
              "ba": ("discriminator_b", "generator_ba", "discriminator_a", "generator_ab")}


def load_networks(path: str | os.PathLike) -> tuple[nn.ModuleDict, DataInfo]:
    """The four networks of a ganforge run folder (its latest checkpoint) or checkpoint
    (`ganforge.applications.open_app`), in eval mode (EMA copies where the run kept them),
    with the DataInfo they were built for.

    The networks are rewired by ``ganforge_setup`` as in training, so a generator's reused
    encoder layers are its discriminator's. Translating image files does not need the
    run's dataset on disk."""
    from ganforge.applications import open_app

    from .strategy import NICEGAN

    app = open_app(path, "nice_gan", "NICE-GAN's translation needs a NICE-GAN run (strategy: nice_gan)",
                   generator=None, roles=DIRECTIONS["ab"], strategy=NICEGAN)
    return nn.ModuleDict(app.networks), app.info


@torch.no_grad()
def translate(nets: nn.ModuleDict, images: torch.Tensor, direction: str) -> dict[str, torch.Tensor]:
    """``translated`` G_{x->y}(E_x(x)), ``cycled`` back through E_y and G_{y->x}, and
    E_x's attention ``heatmap`` normalised to [-1, 1] at image size (grey levels)."""
    if direction not in DIRECTIONS:
        raise ganforge.ConfigError(f"direction {direction!r}: one of {', '.join(DIRECTIONS)}")
    d_src, g_fwd, d_tgt, g_back = (nets[r] for r in DIRECTIONS[direction])
    enc = d_src.encode(images)
    translated = g_fwd(Condition(embedding=enc.embedding))
    cycled = g_back(Condition(embedding=d_tgt.encode(translated).embedding))
    heat = torch.nn.functional.interpolate(enc.heatmap, size=images.shape[-2:], mode="bilinear", align_corners=False)
    lo, hi = heat.amin((2, 3), keepdim=True), heat.amax((2, 3), keepdim=True)
    heat = ((heat - lo) / (hi - lo).clamp_min(1e-8) * 2 - 1).expand(-1, 3, -1, -1)
    return {"translated": translated, "cycled": cycled, "heatmap": heat}

"""The paper's application: translating images between the two domains with a trained
run (X -> Y with G_{x->y}(E_x(x)), and back), plus the attention heatmap of E_x."""

from __future__ import annotations

import os
from pathlib import Path
import torch
from torch import nn

import ganforge
from ganforge import Condition, DataInfo

DIRECTIONS = {"ab": ("discriminator_a", "generator_ab", "discriminator_b", "generator_ba"),
              "ba": ("discriminator_b", "generator_ba", "discriminator_a", "generator_ab")}


def load_networks(path: str | os.PathLike) -> tuple[nn.ModuleDict, DataInfo]:
    """The four networks of a ganforge run folder (its latest checkpoint) or checkpoint,
    in eval mode, with the DataInfo they were built for."""
    from ganforge.config import describe_data, from_dict, recipe_networks
    from ganforge.trainer import latest_checkpoint, load_checkpoint

    path = Path(path)
    ckpt = latest_checkpoint(path) if path.is_dir() else path
    if ckpt is None:
        raise ganforge.GanforgeError(f"{path}: no checkpoints in {path / 'checkpoints'}")
    state = load_checkpoint(ckpt)
    exp = from_dict(state["config"], f"{ckpt} (config)")
    if exp.strategy.type != "nice_gan":
        raise ganforge.ConfigError(f"{ckpt}: a {exp.strategy.type!r} run, not a NICE-GAN one")
    data = describe_data(exp)
    kinds, _ = recipe_networks(exp)
    nets = nn.ModuleDict({role: ganforge.build(kinds[role], spec, data, check=False, path=f"models.{role}")
                          for role, spec in exp.models.items()})
    for role, net in nets.items():
        net.load_state_dict(state["ema"].get(role, state["models"][role]))
    return nets.eval(), data


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

"""The paper's two geometric regularisers of the generator (Sec. 3.3, official loss.py)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .camera import project, unproject
from .render import pixel_grid


def compactness(prim_alpha: torch.Tensor, floor: float = 0.1) -> torch.Tensor:
    """Mean projected area of the primitives, each clamped below at ``floor`` so primitives that
    are already small get no gradient (official SizeLoss); keeps primitives from covering the
    whole image and so encourages them to explain single objects."""
    return prim_alpha.flatten(2).mean(-1).clamp(min=floor).mean()


def consistency_3d(view0: dict[str, torch.Tensor], view1: dict[str, torch.Tensor], cam0: tuple, cam1: tuple,
                   focal: float, far: float, w_rgb: float = 5.0, w_depth: float = 1.0) -> torch.Tensor:
    """3D consistency of two renders of the same scene: every foreground pixel of view 0 is lifted
    to 3D with its generated depth, projected into view 1, and must find there the same colour
    (weight 5) and the same depth (weight 1) (official ConsistencyLoss, rgb 5 / depth 1)."""
    B, _, S, _ = view0["image"].shape
    xy = pixel_grid(S, view0["image"].device, view0["image"].dtype).expand(B, -1, -1)
    d0 = view0["depth"].flatten(1)
    world = unproject(xy, d0, *cam0, focal)
    xy1, d_expected = project(world, *cam1, focal)
    grid = xy1[:, :, None]                                                      # (B, S*S, 1, 2)
    rgb1 = F.grid_sample(view1["image"], grid, align_corners=False)[..., 0]     # (B, 3, S*S)
    depth1 = F.grid_sample(view1["depth"], grid, align_corners=False)[:, 0, :, 0]
    valid = ((d0 < far - 1e-3) & (xy1.abs() < 1).all(-1)).to(d0.dtype)
    count = valid.sum().clamp(min=1)
    rgb_err = ((rgb1 - view0["image"].flatten(2)).abs().mean(1) * valid).sum() / count
    depth_err = ((depth1 - d_expected).abs() * valid).sum() / count
    return w_rgb * rgb_err + w_depth * depth_err

"""The paper's two geometric regularisers of the generator (Sec. 3.3, official loss.py)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .camera import project, unproject
from .render import pixel_grid

Layers = dict[str, torch.Tensor]


def compactness(prim_alpha: torch.Tensor, floor: float = 0.1) -> torch.Tensor:
    """Mean projected area of the primitives, each clamped below at ``floor`` so primitives that
    are already small get no gradient (official SizeLoss); keeps primitives from covering the
    whole image and so encourages them to explain single objects."""
    return prim_alpha.flatten(2).mean(-1).clamp(min=floor).mean()


def consistency_3d(layers0: Layers, layers1: Layers, pose0: tuple, pose1: tuple, focal: float,
                   w_rgb: float = 5.0, w_depth: float = 1.0, threshold: float = 0.4) -> torch.Tensor:
    """3D consistency of the 2D generator's layers (L, C, S, S) of the same objects under two
    poses, ``pose = (R, t)`` mapping each layer's object frame to the camera (official
    ConsistencyLoss): every pixel where a layer's alpha exceeds ``threshold`` is lifted to the
    object's frame with its generated depth, projected into the other pose, and must find there
    the same alpha-premultiplied colour (weight 5) and the depth it projects to (weight 1);
    both directions, averaged over all pixels as the official code does."""
    def one_way(a: Layers, b: Layers, pa: tuple, pb: tuple) -> torch.Tensor:
        L, _, S, _ = a["rgb"].shape
        xy = pixel_grid(S, a["rgb"].device, a["rgb"].dtype).expand(L, -1, -1)
        xy_b, depth_expected = project(unproject(xy, a["depth"].flatten(1), *pa, focal), *pb, focal)
        grid = xy_b[:, :, None]                                                    # (L, S*S, 1, 2)
        colour = lambda x: (x["rgb"] + 1) / 2 * x["alpha"]  # noqa: E731
        rgb_b = F.grid_sample(colour(b), grid, padding_mode="border", align_corners=False)[..., 0]
        depth_b = F.grid_sample(b["depth"], grid, padding_mode="border", align_corners=False)[:, 0, :, 0]
        mask = (a["alpha"] > threshold).flatten(1).to(rgb_b.dtype)
        rgb_err = (rgb_b - colour(a).flatten(2)).abs().mean(1)
        return w_rgb * (rgb_err * mask).mean() + w_depth * ((depth_b - depth_expected).abs() * mask).mean()

    return one_way(layers0, layers1, pose0, pose1) + one_way(layers1, layers0, pose1, pose0)

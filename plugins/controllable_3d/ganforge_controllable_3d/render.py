"""Differentiable point-cloud renderer in plain torch (runs on CPU and GPU).

The official code rasterises with compiled CUDA kernels (neural_renderer and a point
renderer). Here each point is an isotropic Gaussian splat in the image: coverage
``w_p(x) = exp(-|x - x_p|^2 / 2 sigma^2)``, the layer's alpha ``1 - prod_p (1 - w_p)``
(soft union of the splats), and features and depth the splat- and depth-weighted mean,
``a_p = w_p exp(-(z_p - z_min) / tau)``, so nearer points win softly. Every output is a smooth
function of the point positions, hence gradients reach the 3D generator's poses.
Each primitive is rendered into its own layer, as in the paper (one 2D-generator pass per
primitive, composited by depth afterwards).
"""

from __future__ import annotations

import torch

from .camera import project


def pixel_grid(size: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """(size*size, 2) pixel centres in normalised coords [-1, 1], x right, y down."""
    c = (torch.arange(size, device=device, dtype=dtype) + 0.5) / size * 2 - 1
    y, x = torch.meshgrid(c, c, indexing="ij")
    return torch.stack([x, y], dim=-1).reshape(-1, 2)


def splat(xy: torch.Tensor, depth: torch.Tensor, feat: torch.Tensor, size: int, sigma: float,
          tau: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Render point sets. xy (L, P, 2), depth (L, P), feat (L, P, C) for L layers ->
    features (L, C, S, S), alpha (L, 1, S, S), depth (L, 1, S, S) (depth 0 where empty)."""
    L, P, C = feat.shape
    grid = pixel_grid(size, xy.device, xy.dtype)                             # (S*S, 2)
    d2 = (grid[None, :, None] - xy[:, None]).square().sum(-1)                # (L, S*S, P)
    w = torch.exp(-d2 / (2 * sigma ** 2))
    alpha = 1 - torch.prod(1 - w.clamp(max=1 - 1e-4), dim=-1)               # (L, S*S)
    near = torch.exp(-(depth - depth.min(dim=1, keepdim=True).values.detach()) / tau)
    a = w * near[:, None]
    norm = a.sum(-1, keepdim=True).clamp(min=1e-8)
    out_feat = (a @ feat) / norm                                             # (L, S*S, C)
    out_depth = (a * depth[:, None]).sum(-1, keepdim=True) / norm
    to_map = lambda x: x.transpose(1, 2).reshape(L, -1, size, size)  # noqa: E731
    return to_map(out_feat * alpha[..., None]), alpha.reshape(L, 1, size, size), to_map(out_depth * alpha[..., None])


class PointRenderer(torch.nn.Module):
    """Projects world-space point clouds of each primitive with a camera and splats them."""

    def __init__(self, size: int, focal: float, sigma: float, tau: float):
        super().__init__()
        self.size, self.focal, self.sigma, self.tau = size, focal, sigma, tau

    def forward(self, points: torch.Tensor, feat: torch.Tensor, R: torch.Tensor,
                t: torch.Tensor) -> dict[str, torch.Tensor]:
        """points (B, N, P, 3), feat (B, N, P, C), camera (R, t) per scene ->
        per-primitive layers (B, N, ...) of feature, alpha and depth, each premultiplied by alpha."""
        B, N, P, _ = points.shape
        xy, depth = project(points, R, t, self.focal)                        # (B, N, P, 2), (B, N, P)
        f, a, d = splat(xy.reshape(B * N, P, 2), depth.reshape(B * N, P), feat.reshape(B * N, P, -1),
                        self.size, self.sigma, self.tau)
        unflat = lambda x: x.reshape(B, N, *x.shape[1:])  # noqa: E731
        return {"feature": unflat(f), "alpha": unflat(a), "depth": unflat(d)}

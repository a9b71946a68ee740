"""Differentiable primitive renderer in plain torch (runs on CPU and GPU).

As the official point primitive (render/point.py + the cuboid of renderer.py's RendererPoint),
every primitive is drawn twice into its own layer:

* its **points** as isotropic Gaussian splats, coverage ``w_p(x) = exp(-|x - x_p|^2 / 2 sigma^2)``,
  give the **feature** channels the 2D generator reads: the splat- and depth-weighted mean
  (``a_p = w_p exp(-(z_p - z_min) / tau)``, nearer points win softly), times the soft union of
  the splats ``1 - prod_p (1 - w_p)``;
* its **bounding cuboid** ``[-scale, scale]^3`` in the primitive's pose gives the **alpha** and
  **depth**: every pixel's ray is intersected with the box (slab method); the alpha is a
  sigmoid of the ray's chord through the box (negative when it misses), so it is a solid
  silhouette with soft edges, and the depth is the front face's.

The official code rasterises both with compiled CUDA kernels (neural_renderer's quad mesh and a
point projection). Every output here is smooth in the poses, points and scales, so gradients
reach the 3D generator.
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
          tau: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Render point sets. xy (L, P, 2), depth (L, P), feat (L, P, C) for L layers ->
    features (L, C, S, S) premultiplied by the coverage, and the coverage (L, 1, S, S)."""
    L, P, C = feat.shape
    grid = pixel_grid(size, xy.device, xy.dtype)                             # (S*S, 2)
    d2 = (grid[None, :, None] - xy[:, None]).square().sum(-1)                # (L, S*S, P)
    w = torch.exp(-d2 / (2 * sigma ** 2))
    cover = 1 - torch.prod(1 - w.clamp(max=1 - 1e-4), dim=-1)               # (L, S*S)
    near = torch.exp(-(depth - depth.min(dim=1, keepdim=True).values.detach()) / tau)
    a = w * near[:, None]
    out_feat = (a @ feat) / a.sum(-1, keepdim=True).clamp(min=1e-8)         # (L, S*S, C)
    feature = (out_feat * cover[..., None]).transpose(1, 2).reshape(L, C, size, size)
    return feature, cover.reshape(L, 1, size, size)


def cuboids(R: torch.Tensor, t: torch.Tensor, scale: torch.Tensor, size: int, focal: float,
            softness: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Soft silhouettes and front-face depths (L, 1, S, S) of boxes ``[-scale, scale]^3``
    (scale (L, 3)) whose frames map to the camera by ``x_cam = R x + t`` (R (L, 3, 3), t (L, 3)).
    Pixels whose ray misses a box get its depth of closest approach, never used: alpha ~ 0."""
    L = R.shape[0]
    xy = pixel_grid(size, R.device, R.dtype)
    rays = torch.cat([xy / focal, torch.ones_like(xy[:, :1])], dim=1)         # camera rays with z = 1: t is depth
    origin = -(t[:, None] @ R)[:, 0] / scale                                 # camera centre in box units (L, 3)
    direction = (rays[None] @ R) / scale[:, None]                            # (L, S*S, 3)
    direction = torch.where(direction.abs() < 1e-9, torch.full_like(direction, 1e-9), direction)
    t1, t2 = (-1 - origin[:, None]) / direction, (1 - origin[:, None]) / direction
    near = torch.minimum(t1, t2).amax(-1)
    far = torch.maximum(t1, t2).amin(-1)
    alpha = torch.sigmoid((far - near) / softness)
    return alpha.reshape(L, 1, size, size), near.clamp(min=0).reshape(L, 1, size, size)


class PointRenderer(torch.nn.Module):
    """Draws each primitive (points with features, in a posed box) into its own layer."""

    def __init__(self, size: int, focal: float, sigma: float, tau: float, softness: float):
        super().__init__()
        self.size, self.focal, self.sigma, self.tau, self.softness = size, focal, sigma, tau, softness

    def forward(self, points: torch.Tensor, feat: torch.Tensor, box: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
                R: torch.Tensor, t: torch.Tensor) -> dict[str, torch.Tensor]:
        """points (B, N, P, 3) and feat (B, N, P, C) in the world, the boxes as (R_obj, t_obj,
        scale) per primitive ((B*N, 3, 3), (B*N, 3) object-to-camera, (B, N, 3)), camera (R, t)
        -> per-primitive layers (B, N, ...): ``feature``, box ``alpha`` and ``depth``."""
        B, N, P, _ = points.shape
        xy, depth = project(points, R, t, self.focal)                        # (B, N, P, 2), (B, N, P)
        feature, _ = splat(xy.reshape(B * N, P, 2), depth.reshape(B * N, P), feat.reshape(B * N, P, -1),
                           self.size, self.sigma, self.tau)
        alpha, box_depth = cuboids(box[0], box[1], box[2].reshape(B * N, 3), self.size, self.focal, self.softness)
        unflat = lambda x: x.reshape(B, N, *x.shape[1:])  # noqa: E731
        return {"feature": unflat(feature), "alpha": unflat(alpha), "depth": unflat(box_depth)}

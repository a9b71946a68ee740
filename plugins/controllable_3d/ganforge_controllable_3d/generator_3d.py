"""The 3D generator (official models/generator_3d.py, point-cloud primitives): z is split in
halves; the first half gives every primitive's pose (6D rotation, translation, anisotropic
scale) through an MLP 128-256-512, the second half its shape and appearance (P points with
xyz and C feature channels each) through a second MLP of the same widths."""

from __future__ import annotations

import torch
from torch import nn


def mlp(fin: int, hidden: tuple[int, ...], fout: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for h in hidden:
        layers += [nn.Linear(fin, h), nn.LeakyReLU(0.2)]
        fin = h
    return nn.Sequential(*layers, nn.Linear(fin, fout))


def rotation_from_6d(x: torch.Tensor) -> torch.Tensor:
    """(..., 6) -> (..., 3, 3): Gram-Schmidt of two vectors (Zhou et al. 2019), the official
    continuous rotation parameterisation; columns are the rotated axes."""
    a, b = x[..., :3], x[..., 3:]
    e1 = nn.functional.normalize(a, dim=-1)
    e2 = nn.functional.normalize(b - (e1 * b).sum(-1, keepdim=True) * e1, dim=-1)
    return torch.stack([e1, e2, torch.cross(e1, e2, dim=-1)], dim=-1)


def yaw(angle: torch.Tensor) -> torch.Tensor:
    """(...,) angles in radians -> (..., 3, 3) rotations about the vertical (y) axis."""
    c, s, one, zero = angle.cos(), angle.sin(), torch.ones_like(angle), torch.zeros_like(angle)
    return torch.stack([torch.stack([c, zero, s], -1), torch.stack([zero, one, zero], -1),
                        torch.stack([-s, zero, c], -1)], -2)


def turn_objects(scene: dict[str, torch.Tensor], angle: torch.Tensor) -> dict[str, torch.Tensor]:
    """The scene with every object rotated by ``angle`` (B, N) about the vertical axis through its
    own centre (the official extrinsic ObjectRotation: R <- R_y R)."""
    return {**scene, "R": yaw(angle) @ scene["R"]}


class Generator3D(nn.Module):
    """z -> per-primitive {R, t, scale, shape, feature}; ``points`` places them in the world."""

    def __init__(self, z_dim: int, n_prim: int, n_points: int, n_channel: int, hidden: tuple[int, ...],
                 size_range: tuple[float, float]):
        super().__init__()
        if z_dim % 2:
            raise ValueError(f"z_dim must be even (pose and appearance halves), got {z_dim}")
        self.half, self.n_prim, self.n_points, self.n_channel = z_dim // 2, n_prim, n_points, n_channel
        self.size_range = size_range
        self.mlp_pose = mlp(self.half, hidden, 12 * n_prim)
        self.mlp_appearance = mlp(self.half, hidden, n_prim * n_points * (3 + n_channel))

    def forward(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        B, N = z.shape[0], self.n_prim
        pose = self.mlp_pose(z[:, :self.half]).view(B, N, 12)
        lo, hi = self.size_range
        app = self.mlp_appearance(z[:, self.half:]).view(B, N, self.n_points, 3 + self.n_channel)
        return {"R": rotation_from_6d(pose[..., :6]), "t": torch.tanh(pose[..., 6:9]),
                "scale": torch.sigmoid(pose[..., 9:12]) * (hi - lo) + lo,
                "shape": torch.tanh(app[..., :3]), "feature": torch.tanh(app[..., 3:]),
                "visible": torch.ones(B, N, device=z.device, dtype=z.dtype)}

    @staticmethod
    def points(scene: dict[str, torch.Tensor]) -> torch.Tensor:
        """World coordinates (B, N, P, 3) of every primitive's points: R (scale * shape) + t."""
        local = scene["shape"] * scene["scale"][:, :, None]
        return local @ scene["R"].transpose(-1, -2) + scene["t"][:, :, None]

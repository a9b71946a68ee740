"""Pinhole camera on a sphere around the scene, looking at the origin (official model.py:
radius 2, azimuth u in [0, 1), elevation v in [0.15, 0.371] as in their Blender renders)."""

from __future__ import annotations

import math

import torch


def look_at(eye: torch.Tensor) -> torch.Tensor:
    """(B, 3, 3) world-to-camera rotation of cameras at ``eye`` looking at the origin: rows are
    the camera's right, down (image x and y) and forward (depth) axes, world +y is up."""
    forward = torch.nn.functional.normalize(-eye, dim=-1)
    up = torch.tensor([0.0, 1.0, 0.0], device=eye.device, dtype=eye.dtype).expand_as(eye)
    right = torch.nn.functional.normalize(torch.cross(forward, up, dim=-1), dim=-1)
    down = torch.cross(forward, right, dim=-1)
    return torch.stack([right, down, forward], dim=1)


def camera_pose(u: torch.Tensor, v: torch.Tensor, radius: float = 2.0) -> tuple[torch.Tensor, torch.Tensor]:
    """(R, t) world-to-camera for spherical coordinates: azimuth 2*pi*u, polar arccos(1 - 2v)."""
    theta = 2 * math.pi * u
    phi = torch.arccos(1 - 2 * v)
    eye = radius * torch.stack([torch.sin(phi) * torch.cos(theta), torch.cos(phi),
                                torch.sin(phi) * torch.sin(theta)], dim=-1)
    R = look_at(eye)
    t = -(R @ eye[..., None])[..., 0]
    return R, t


def sample_cameras(batch: int, device: torch.device, range_u=(0.0, 1.0), range_v=(0.15, 0.371),
                   radius: float = 2.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Random cameras of the official training distribution."""
    u = torch.empty(batch, device=device).uniform_(*range_u)
    v = torch.empty(batch, device=device).uniform_(*range_v)
    return camera_pose(u, v, radius)


def project(points: torch.Tensor, R: torch.Tensor, t: torch.Tensor, focal: float) -> tuple[torch.Tensor, torch.Tensor]:
    """World points (B, ..., 3) -> (normalised image coords in [-1, 1] (x right, y down), depth)."""
    shape = points.shape
    flat = points.reshape(shape[0], -1, 3)
    cam = flat @ R.transpose(1, 2) + t[:, None]
    depth = cam[..., 2].clamp(min=1e-3)
    xy = focal * cam[..., :2] / depth[..., None]
    return xy.reshape(*shape[:-1], 2), depth.reshape(shape[:-1])


def unproject(xy: torch.Tensor, depth: torch.Tensor, R: torch.Tensor, t: torch.Tensor, focal: float) -> torch.Tensor:
    """Inverse of :func:`project` for (B, N, 2) coords and (B, N) depths -> (B, N, 3) world."""
    cam = torch.cat([xy * depth[..., None] / focal, depth[..., None]], dim=-1)
    return (cam - t[:, None]) @ R


def object_to_camera(scene: dict[str, torch.Tensor], R: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B*N, 3, 3), (B*N, 3): each object's rotation and translation composed with the camera's
    (``x_cam = R_obj x_obj + t_obj``): the pose of its box in the renderer and of its layer in
    the 3D consistency loss."""
    R_obj = R[:, None] @ scene["R"]                                                # (B, N, 3, 3)
    t_obj = (R[:, None] @ scene["t"][..., None])[..., 0] + t[:, None]
    return R_obj.flatten(0, 1), t_obj.flatten(0, 1)

"""The paper's applications (Sec. 4, Figs. 1 and 5): edit the generated 3D scene and render a
sequence. Every control is a function scene -> list of scenes (or cameras), so the same edits
serve the CLI, the tests and the fidelity measure.

Control fidelity: the synthetic world's scenes are 2D (core/data/synthetic draws shapes in the
image plane; there is no 3D pose to compare with), so fidelity is measured on our own
primitives: moving primitive i by d in 3D must move the centroid of its rendered alpha by the
projection of d (``move_fidelity``)."""

from __future__ import annotations

import math
import os

import torch

import ganforge

from .camera import camera_pose, project
from .generator import Controllable3DGenerator
from .generator_3d import Generator3D, turn_objects

Scene = dict[str, torch.Tensor]


def load_generator(run_or_ckpt: str | os.PathLike) -> Controllable3DGenerator:
    from ganforge.trainer import restore

    G = restore(run_or_ckpt).network("generator")
    if not isinstance(G, Controllable3DGenerator):
        raise ganforge.ConfigError(f"{run_or_ckpt}: the generator is not 'controllable_3d'")
    return G


def scene_of_seeds(G: Controllable3DGenerator, seeds: list[int]) -> Scene:
    z = torch.stack([torch.randn(G.z_dim, generator=torch.Generator().manual_seed(s)) for s in seeds])
    with torch.no_grad():
        return G.scene(z.to(G.style_mlp[0].weight.device))


def check_object(scene: Scene, obj: int) -> None:
    n = scene["t"].shape[1]
    if not 0 <= obj < n:
        raise ganforge.ConfigError(f"--object {obj}: the generator has primitives 0..{n - 1}")


def edited(scene: Scene, **changes: torch.Tensor) -> Scene:
    return {**scene, **changes}


def move(scene: Scene, obj: int, delta: tuple[float, float, float], frames: int) -> list[Scene]:
    """Translate primitive ``obj`` linearly by ``delta`` (world units) over the frames."""
    check_object(scene, obj)
    d = torch.tensor(delta, dtype=scene["t"].dtype, device=scene["t"].device)
    out = []
    for s in torch.linspace(0, 1, frames).tolist():
        t = scene["t"].clone()
        t[:, obj] += s * d
        out.append(edited(scene, t=t))
    return out


def rotate(scene: Scene, obj: int, degrees: float, frames: int) -> list[Scene]:
    """Rotate primitive ``obj`` about the vertical axis through its centre."""
    check_object(scene, obj)
    out = []
    for s in torch.linspace(0, 1, frames).tolist():
        angle = torch.zeros_like(scene["t"][..., 0])
        angle[:, obj] = math.radians(degrees) * s
        out.append(turn_objects(scene, angle))
    return out


def visibility(scene: Scene, obj: int, start: float, end: float, frames: int) -> list[Scene]:
    """Fade primitive ``obj`` in (add: 0 -> 1) or out (remove: 1 -> 0)."""
    check_object(scene, obj)
    out = []
    for s in torch.linspace(start, end, frames).tolist():
        v = scene["visible"].clone()
        v[:, obj] = s
        out.append(edited(scene, visible=v))
    return out


def transplant(scene: Scene, donor: Scene, obj: int) -> Scene:
    """Scene with primitive ``obj``'s shape, appearance and style taken from ``donor`` (add an
    object of another sample, keeping the pose)."""
    check_object(scene, obj)
    out = {k: v.clone() for k, v in scene.items()}
    for key in ("shape", "feature", "style"):
        out[key][:, obj] = donor[key][:, obj]
    return out


def cameras(u: float, v: float, turns: float, frames: int, radius: float) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Camera poses sweeping the azimuth from u to u + turns at elevation v."""
    return [camera_pose(torch.tensor([u + turns * s]), torch.tensor([v]), radius)
            for s in torch.linspace(0, 1, frames).tolist()]


def render_sequence(G: Controllable3DGenerator, scenes: list[Scene], cams: list[tuple]) -> torch.Tensor:
    """(B * frames, 3, S, S) in row-major order: one row per sample, one column per frame."""
    B = scenes[0]["t"].shape[0]
    with torch.no_grad():
        frames = [G.render(sc, R.expand(B, -1, -1), t.expand(B, -1))["image"] for sc, (R, t) in zip(scenes, cams)]
    return torch.stack(frames, dim=1).flatten(0, 1).clamp(-1, 1)


def alpha_centroid(alpha: torch.Tensor) -> torch.Tensor:
    """(B, 1, S, S) -> (B, 2) centroid (x, y) in normalised coords."""
    S = alpha.shape[-1]
    c = (torch.arange(S, dtype=alpha.dtype) + 0.5) / S * 2 - 1
    mass = alpha.sum((1, 2, 3)).clamp(min=1e-8)
    x = (alpha.sum((1, 2)) * c).sum(-1) / mass
    y = (alpha.sum((1, 3)) * c).sum(-1) / mass
    return torch.stack([x, y], dim=-1)


def move_fidelity(G: Controllable3DGenerator, scene: Scene, obj: int, delta: tuple[float, float, float],
                  cam: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """(measured, expected) image-plane shift (B, 2) in pixels of primitive ``obj`` when moved by
    ``delta``: centroid shift of its rendered alpha vs. projection of its points' mean."""
    before, after = move(scene, obj, delta, 2)
    B = scene["t"].shape[0]
    R, t = cam[0].expand(B, -1, -1), cam[1].expand(B, -1)
    with torch.no_grad():
        c = [alpha_centroid(G.render(sc, R, t)["prim_alpha"][:, obj]) for sc in (before, after)]
        p = [project(Generator3D.points(sc)[:, obj].mean(1), R, t, G.params.focal)[0] for sc in (before, after)]
    half = G.renderer.size / 2
    return (c[1] - c[0]) * half, (p[1] - p[0]) * half

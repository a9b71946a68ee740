"""A small Clevr-like 3D world with ground truth, seen through exactly the model's camera.

Spheres (and optionally axis-aligned cubes) of distinct colours and sizes rest on a ground
plane under one directional light, with ambient light and hard shadows, in front of a
two-tone floor and sky. Images are ray cast in plain torch, vectorised over pixels, objects
and scenes. The camera is the plugin's (`camera.camera_pose` on a sphere of radius 2, pinhole
of `focal` half-widths as `camera.project`, pixel centres as `render.pixel_grid`), so a world
point lands on the same pixel here and in the generator's renderer: a trained model's 3D
controls can be scored against this ground truth (`object_masks`, `Camera.pixels`).

Scene ``i`` of seed ``s`` is a pure function of ``(s, i)`` (numpy ``SeedSequence([s, i])``).
Each sample holds ``image`` (3, H, W) in [-1, 1], the Condition field ``domain`` (0 = objects
present, 1 = pure background; always present, ``num_domains`` is 2 when
``background_fraction`` > 0 and 1 otherwise) and ground truth outside the Condition, padded
to ``max_objects``: ``object_position`` (M, 3), ``object_size`` (M,) (sphere radius or half
the cube's edge), ``object_cube`` (M,) bool, ``object_colour`` (M, 3) in [0, 1],
``object_present`` (M,) bool, ``camera_u`` / ``camera_v`` (), ``floor_colour`` / ``sky_colour`` (3,).
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from pydantic import Field, model_validator

import ganforge
from ganforge.files import atomic_write_bytes

from .camera import camera_pose, project
from .render import pixel_grid

#: CLEVR's eight colours (Johnson et al. 2017), so every object of a scene gets its own
PALETTE = np.array([[87, 87, 87], [173, 35, 35], [42, 75, 215], [29, 105, 20], [129, 74, 25], [129, 38, 192],
                    [41, 208, 208], [255, 238, 51]], np.float32) / 255
LIGHT = (0.45, 0.85, 0.30)  # direction towards the light, world frame (+y up)
AMBIENT = 0.35  # share of the albedo seen without direct light
_EPS = 1e-4


# -- scene and camera -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Camera:
    """Cameras of a batch: azimuth ``u`` and elevation ``v`` (B,) in the official spherical
    parameterisation, image size, focal length (half-image units) and distance to the origin."""

    u: torch.Tensor
    v: torch.Tensor
    resolution: int = 32
    focal: float = 2.0
    radius: float = 2.0

    def pose(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(R, t) world-to-camera, as the generator's renderer uses them."""
        return camera_pose(self.u, self.v, self.radius)

    def rotated(self, du: float) -> Camera:
        """The camera turned by ``du`` turns of azimuth around the scene."""
        return dataclasses.replace(self, u=torch.remainder(self.u + du, 1.0))

    def pixels(self, points: torch.Tensor) -> torch.Tensor:
        """World points (B, ..., 3) -> pixel coordinates (B, ..., 2) as (x, y) with the image's
        top-left corner at 0 and pixel (row i, column j) centred on (j + 0.5, i + 0.5)."""
        xy, _ = project(points, *self.pose(), self.focal)
        return (xy + 1) / 2 * self.resolution


@dataclasses.dataclass(frozen=True)
class WorldScene:
    """A batch of scenes: objects padded to M slots, absent slots with ``present`` False."""

    position: torch.Tensor  # (B, M, 3) object centres; a resting object has y = size
    size: torch.Tensor  # (B, M) sphere radius / half edge of the cube
    cube: torch.Tensor  # (B, M) bool, False = sphere
    colour: torch.Tensor  # (B, M, 3) albedo in [0, 1]
    present: torch.Tensor  # (B, M) bool
    floor: torch.Tensor  # (B, 3) floor albedo
    sky: torch.Tensor  # (B, 3) background colour above the horizon

    def moved(self, obj: int, delta) -> WorldScene:
        """The scenes with object ``obj`` translated by the world vector ``delta`` (3,) or (B, 3)."""
        shift = torch.zeros_like(self.position)
        shift[:, obj] = torch.as_tensor(delta, dtype=self.position.dtype, device=self.position.device)
        return dataclasses.replace(self, position=self.position + shift)

    def removed(self, obj: int) -> WorldScene:
        """The scenes without object ``obj``."""
        present = self.present.clone()
        present[:, obj] = False
        return dataclasses.replace(self, present=present)

    def tensors(self) -> dict[str, torch.Tensor]:
        """The ground-truth keys of a sample (see the module docstring)."""
        return {"object_position": self.position, "object_size": self.size, "object_cube": self.cube,
                "object_colour": self.colour, "object_present": self.present, "floor_colour": self.floor,
                "sky_colour": self.sky}

# -- ray casting --------------------------------------------------------------------------


def intersect(origin: torch.Tensor, direction: torch.Tensor, scene: WorldScene) -> torch.Tensor:
    """Ray parameter of the first hit of every ray with every object, (B, P, M), inf where the
    ray misses or the slot is empty. ``origin`` and unit ``direction`` (B, P, 3), either of them
    (B, 1, 3) when shared by all rays. Spheres analytically, cubes by the slab method."""
    c, r = scene.position, scene.size[:, None, :]
    # d . (o - c) and |o - c|^2 - r^2 from dot products: no (B, P, M, 3) tensor for spheres
    b = (origin * direction).sum(-1, keepdim=True) - direction @ c.transpose(1, 2)
    cc = (origin.square().sum(-1, keepdim=True) - 2 * origin @ c.transpose(1, 2)
          + (c.square().sum(-1) - r[:, 0].square())[:, None])
    disc = b.square().sub_(cc)
    t = disc.clamp(min=0).sqrt_().add_(b).neg_().masked_fill_(disc <= 0, torch.inf)
    if scene.cube.any():  # slabs: entry max_k (m_k - r |1/d_k|), exit min_k (m_k + r |1/d_k|)
        inv = 1 / direction.masked_fill(direction.abs() < 1e-12, 1e-12)[:, :, None]
        m = (c[:, None] - origin[:, :, None]) * inv  # (B, P, M, 3)
        k = r[..., None] * inv.abs()
        near, far = (m - k).amax(-1), (m + k).amin(-1)
        t = torch.where(scene.cube[:, None], near.masked_fill_(far < near, torch.inf), t)
    return t.masked_fill_(~scene.present[:, None] | (t <= _EPS), torch.inf)


@dataclasses.dataclass(frozen=True)
class Hits:
    """What each pixel ray (B, P) sees first: the object (-1 = floor or sky), the surface
    point, its unit normal and albedo, and whether the ray escapes to the sky."""

    obj: torch.Tensor
    point: torch.Tensor
    normal: torch.Tensor
    albedo: torch.Tensor
    sky: torch.Tensor


def camera_rays(camera: Camera, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Origin (B, 1, 3) and unit directions (B, size*size, 3) through the pixel centres of
    `render.pixel_grid`: the inverse of `camera.project`."""
    R, t = camera.pose()
    xy = pixel_grid(size, R.device, R.dtype)
    d_cam = torch.cat([xy / camera.focal, torch.ones_like(xy[:, :1])], dim=-1)  # (P, 3)
    return -(t[:, None] @ R), F.normalize(d_cam @ R, dim=-1)  # rows: R^T x


def trace(scene: WorldScene, camera: Camera, size: int) -> Hits:
    """Cast the ``size`` x ``size`` pixel rays of ``camera`` against the objects and the floor y = 0."""
    origin, d = camera_rays(camera, size)
    t_obj, obj = intersect(origin, d, scene).min(-1)
    t_floor = (-origin[..., 1] / d[..., 1]).masked_fill_(d[..., 1] >= 0, torch.inf)
    on_obj = t_obj < t_floor
    t = torch.minimum(t_obj, t_floor)
    sky = torch.isinf(t)
    point = torch.addcmul(origin, t.masked_fill(sky, 0)[..., None], d)
    attrs = torch.cat([scene.position, scene.size[..., None], scene.colour], -1)
    hit = torch.gather(attrs, 1, obj[..., None].expand(-1, -1, attrs.shape[-1]))  # (B, P, 7), one gather
    normal = (point - hit[..., :3]) / hit[..., 3:4].clamp(min=_EPS)  # unit on a sphere
    if scene.cube.any():
        face = F.one_hot(normal.abs().argmax(-1), 3).to(d.dtype) * normal.sign()  # a cube's face
        normal = torch.where(torch.gather(scene.cube, 1, obj)[..., None], face, normal)
    up = torch.tensor([0.0, 1.0, 0.0], dtype=d.dtype, device=d.device)
    return Hits(obj.masked_fill(~on_obj, -1), point, torch.where(on_obj[..., None], normal, up),
                torch.where(on_obj[..., None], hit[..., 4:], scene.floor[:, None]), sky)


def render(scene: WorldScene, camera: Camera, supersample: int = 1) -> torch.Tensor:
    """(B, 3, S, S) image in [-1, 1]: Lambertian shading, ambient light and hard shadows;
    ``supersample`` k casts k x k rays per pixel (their centres average to the pixel centre)."""
    S = camera.resolution * supersample
    hits = trace(scene, camera, S)
    light = F.normalize(torch.tensor(LIGHT, dtype=hits.point.dtype, device=hits.point.device), dim=0)
    shadow_origin = hits.point + 1e-3 * hits.normal
    lit = torch.isinf(intersect(shadow_origin, light.expand(len(shadow_origin), 1, 3), scene)).all(-1)
    shade = AMBIENT + (1 - AMBIENT) * (hits.normal @ light).clamp(min=0) * lit
    rgb = torch.where(hits.sky[..., None], scene.sky[:, None], hits.albedo * shade[..., None])
    return F.avg_pool2d(rgb.transpose(1, 2).reshape(-1, 3, S, S), supersample) * 2 - 1


def object_masks(scene: WorldScene, camera: Camera, supersample: int = 1) -> torch.Tensor:
    """(B, M, S, S) visible share of every pixel covered by each object (occlusion included;
    binary with ``supersample`` 1)."""
    S, M = camera.resolution, scene.position.shape[1]
    obj = trace(scene, camera, S * supersample).obj
    masks = (obj[:, None] == torch.arange(M, device=obj.device)[None, :, None]).to(scene.position.dtype)
    return F.avg_pool2d(masks.reshape(-1, M, S * supersample, S * supersample), supersample)


def mask_centroids(masks: torch.Tensor) -> torch.Tensor:
    """(..., S, S) masks -> (..., 2) centroids (x, y) in the pixel coordinates of `Camera.pixels`
    (NaN for an empty mask)."""
    S = masks.shape[-1]
    c = torch.arange(S, dtype=masks.dtype, device=masks.device) + 0.5
    area = masks.sum((-2, -1))
    return torch.stack([(masks * c).sum((-2, -1)), (masks * c[:, None]).sum((-2, -1))], -1) / area[..., None]


# -- the dataset --------------------------------------------------------------------------


class WorldParams(ganforge.Params):
    """The 3D world; camera defaults are the plugin's (official) camera."""

    resolution: int = Field(32, ge=8, le=1024, description="square image side in pixels")
    length: int = Field(10000, ge=1, description="number of scenes")
    seed: int = Field(0, ge=0, description="world seed: scene i of a seed never changes")
    min_objects: int = Field(1, ge=1, description="fewest objects in a scene that has objects")
    max_objects: int = Field(3, ge=1, le=len(PALETTE), description="most objects (slots of the ground truth)")
    background_fraction: float = Field(0.0, ge=0, le=1, description="share of pure-background scenes (domain 1)")
    shapes: tuple[Literal["sphere", "cube"], ...] = Field(("sphere",), min_length=1, description="object shapes")
    size_range: tuple[float, float] = Field((0.2, 0.35), description="sphere radius / half cube edge, world units")
    extent: float = Field(0.8, gt=0, le=1,
                          description="object centres lie in |x|, |z| <= extent (the generator's reach is 1)")
    range_u: tuple[float, float] = Field((0.0, 1.0), description="camera azimuth range in turns (official)")
    range_v: tuple[float, float] = Field((0.15, 0.371), description="camera elevation range (official)")
    focal: float = Field(2.0, gt=0, description="focal length in half-image units (= the generator's focal)")
    cam_radius: float = Field(2.0, gt=0, description="camera distance to the origin (= the generator's)")
    supersample: int = Field(2, ge=1, le=4, description="k x k rays per pixel (anti-aliasing)")

    @model_validator(mode="after")
    def _consistent(self):
        if self.min_objects > self.max_objects:
            raise ValueError(f"min_objects {self.min_objects} > max_objects {self.max_objects}")
        if not 0 < self.size_range[0] <= self.size_range[1] <= 0.5:
            raise ValueError(f"size_range {self.size_range} must satisfy 0 < low <= high <= 0.5")
        return self


class Controllable3DWorld(ganforge.Dataset):
    """A seeded Clevr-like 3D world seen through the model's camera, with 3D ground truth."""

    Params: ClassVar = WorldParams
    provides: ClassVar = frozenset({"domain"})

    def __len__(self) -> int:
        return self.params.length

    @classmethod
    def describe(cls, params) -> ganforge.DataInfo:
        """The world is generated, so building it reads no file: `ganforge params` needs no data."""
        return cls(params).info()

    def info(self) -> ganforge.DataInfo:
        p = self.params
        return ganforge.DataInfo(fields=frozenset({"domain"}), image_channels=3, resolution=(p.resolution,) * 2,
                                 num_domains=2 if p.background_fraction > 0 else 1)

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self):
            raise IndexError(f"world index {index} outside [0, {len(self)})")
        return {k: v[0] for k, v in self.batch([index]).items()}

    def batch(self, indices) -> dict[str, torch.Tensor]:
        """Collated samples of ``indices``, rendered together."""
        scene, camera = self.scenes(indices)
        out = {"image": render(scene, camera, self.params.supersample),
               "domain": (~scene.present.any(1)).long(), "camera_u": camera.u, "camera_v": camera.v}
        return {**out, **scene.tensors()}

    def ground_truth(self, batch: dict) -> tuple[WorldScene, Camera]:
        """The scenes and cameras of a collated batch of this world's samples (from a loader)."""
        scene = WorldScene(batch["object_position"], batch["object_size"], batch["object_cube"],
                           batch["object_colour"], batch["object_present"], batch["floor_colour"], batch["sky_colour"])
        p = self.params
        return scene, Camera(batch["camera_u"], batch["camera_v"], p.resolution, p.focal, p.cam_radius)

    def streams(self, index: int) -> dict[str, np.random.Generator]:
        """The independent random streams of scene ``index``: the number of objects, the camera,
        the layout and the look, so that changing one (say background_fraction) keeps the others."""
        seqs = np.random.SeedSequence([self.params.seed, index]).spawn(4)
        return dict(zip(("count", "camera", "layout", "look"), map(np.random.default_rng, seqs)))

    def scenes(self, indices) -> tuple[WorldScene, Camera]:
        """The scenes and cameras of ``indices`` as batches."""
        p = self.params
        rngs = [self.streams(int(i)) for i in indices]
        uv = torch.tensor([(r["camera"].uniform(*p.range_u), r["camera"].uniform(*p.range_v)) for r in rngs])
        camera = Camera(uv[:, 0].float(), uv[:, 1].float(), p.resolution, p.focal, p.cam_radius)
        R, t = (x.double().numpy() for x in camera.pose())
        drawn = [self.draw(r, R[j], t[j]) for j, r in enumerate(rngs)]
        stack = lambda k: torch.from_numpy(np.stack([d[k] for d in drawn]))  # noqa: E731
        return WorldScene(*map(stack, ("position", "size", "cube", "colour", "present", "floor", "sky"))), camera

    def draw(self, rng: dict[str, np.random.Generator], R: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """One scene's objects and colours as numpy arrays, seen by the camera (R, t)."""
        p, m = self.params, self.params.max_objects
        count, look = rng["count"], rng["look"]
        n = 0 if count.uniform() < p.background_fraction else int(count.integers(p.min_objects, p.max_objects + 1))
        out = {"position": np.zeros((m, 3), np.float32), "size": np.zeros(m, np.float32), "cube": np.zeros(m, bool),
               "present": np.arange(m) < n, "colour": np.zeros((m, 3), np.float32)}
        out["position"][:n], out["size"][:n], out["cube"][:n] = self._place(n, rng["layout"], R, t)
        out["colour"][:n] = PALETTE[look.permutation(len(PALETTE))[:n]]
        out["floor"] = (look.uniform(0.45, 0.7) * look.uniform(0.9, 1.1, 3)).clip(0, 1).astype(np.float32)
        out["sky"] = (look.uniform(0.75, 0.95) * look.uniform(0.93, 1.07, 3)).clip(0, 1).astype(np.float32)
        return out

    def _place(self, n: int, rng: np.random.Generator, R: np.ndarray, t: np.ndarray, attempts: int = 1000):
        """Sizes, shapes and resting positions of ``n`` objects that neither touch each other nor
        leave the view of camera (R, t): rejection sampling on the floor."""
        p = self.params
        for _ in range(attempts):
            size = rng.uniform(*p.size_range, n)
            cube = np.array([s == "cube" for s in p.shapes])[rng.integers(0, len(p.shapes), n)]
            xz = rng.uniform(-p.extent, p.extent, (n, 2))
            pos = np.stack([xz[:, 0], size, xz[:, 1]], 1)
            ground = size * np.where(cube, np.sqrt(2), 1)  # footprint radius
            bound = size * np.where(cube, np.sqrt(3), 1)  # bounding-sphere radius
            gap = np.linalg.norm(xz[:, None] - xz[None], axis=-1) - ground[:, None] - ground[None] - 0.05
            cam = pos @ R.T + t
            reach = np.abs(p.focal * cam[:, :2] / cam[:, 2:]).max(1) + p.focal * bound / (cam[:, 2] - bound)
            if (gap[np.triu_indices(n, 1)] > 0).all() and (cam[:, 2] > bound).all() and (reach < 0.97).all():
                return pos, size, cube
        raise ganforge.ConfigError(f"dataset controllable_3d_world: cannot place {n} objects of size {p.size_range} "
                                   f"in |x|, |z| <= {p.extent} in view after {attempts} tries; lower max_objects or "
                                   "size_range")


# -- export in the official ObjectDataset layout -------------------------------------------


def _png(image: torch.Tensor) -> bytes:
    arr = ((image.permute(1, 2, 0).numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def export_world(world: Controllable3DWorld, root: str | Path, val_fraction: float = 0.1, chunk: int = 64) -> Path:
    """Write every scene of ``world`` as ``root/world<k>_bg1/<split>/<index>/<index>.png`` (k =
    its number of objects, 0 = pure background; the last ``val_fraction`` of the indices form
    the ``val`` split, the others ``train``) and its ground truth to ``root/scenes.json``.
    Every file is written atomically; returns ``root``."""
    root, n = Path(root), len(world)
    n_train = n - int(round(n * val_fraction))
    records = []
    for start in range(0, n, chunk):
        batch = world.batch(range(start, min(start + chunk, n)))
        for j in range(batch["image"].shape[0]):
            i = start + j
            present = batch["object_present"][j]
            split = "train" if i < n_train else "val"
            rel = f"world{int(present.sum())}_bg1/{split}/{i:06d}/{i:06d}.png"
            atomic_write_bytes(root / rel, _png(batch["image"][j]))
            objects = [{"shape": "cube" if bool(batch["object_cube"][j, k]) else "sphere",
                        "position": batch["object_position"][j, k].tolist(), "size": float(batch["object_size"][j, k]),
                        "colour": batch["object_colour"][j, k].tolist()} for k in range(len(present)) if present[k]]
            records.append({"index": i, "split": split, "file": rel, "objects": objects,
                            "camera": {"u": float(batch["camera_u"][j]), "v": float(batch["camera_v"][j])},
                            "floor_colour": batch["floor_colour"][j].tolist(),
                            "sky_colour": batch["sky_colour"][j].tolist()})
    doc = {"world": world.params.model_dump(mode="json"), "scenes": records}
    atomic_write_bytes(root / "scenes.json", json.dumps(doc).encode())
    return root

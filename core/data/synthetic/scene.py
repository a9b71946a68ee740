"""The 3D scene behind each synthetic image, and the pinhole camera that images it.

Conventions (world units are metres, angles degrees):

* world: x east, y up, z north; the ground is the plane y = 0; the camera sits at
  ``(0, height, 0)``.
* camera: ``azimuth`` turns it about y (0 looks along +z, 90 along +x), ``elevation`` pitches
  it *down* by that angle, ``fov`` is the vertical field of view. Pixel (row v, column u)
  has its centre at ``u + 0.5, v + 0.5``; the focal length in pixels is
  ``F = (H / 2) / tan(fov / 2)``; a camera-space point (x right, y up, z forward) lands at
  ``u = F x / z + W / 2 - 0.5``, ``v = -F y / z + H / 2 - 0.5`` (see `project`).
* each object is a flat shape on a vertical plane through its ``position``: the plane's
  normal is ``(sin yaw, 0, cos yaw)``, its in-plane axes are ``a = (cos yaw, 0, -sin yaw)``
  and ``b = +y``; the shape is rotated in the plane by ``roll`` and spans
  ``[-size_a, size_a] x [-size_b, size_b]`` before the roll (so an unrolled object stands
  on the ground: ``position.y = size_b``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

RIDGE_HARMONICS = np.array([3.0, 5.0, 9.0, 14.0], np.float32)  # whole cycles per turn: periodic in heading


@dataclass
class Scene:
    """Every random quantity that determines a rendered sample's layout."""

    elevation: float
    azimuth: float
    fov: float
    height: float
    sun: np.ndarray  # (3,) unit vector towards the sun
    ridge: np.ndarray  # (4, 2) amplitude (deg) and phase (rad) of each ridge harmonic
    ridge_base: float  # mean ridge height above the horizon, degrees
    lake: np.ndarray  # (6,) centre x, centre z, radius a, radius b, angle (deg), present (0/1)
    category: np.ndarray  # (N,) thing index (into the enabled things)
    position: np.ndarray  # (N, 3) world centre of each shape
    yaw: np.ndarray  # (N,) degrees
    roll: np.ndarray  # (N,) degrees
    size: np.ndarray  # (N, 2) half extents (size_a, size_b) in metres

    # -- camera -------------------------------------------------------------------
    @cached_property
    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Camera right, up and forward unit vectors in world coordinates (up = forward x right)."""
        th, ph = np.radians(self.azimuth), np.radians(self.elevation)
        st, ct, sp, cp = np.sin(th), np.cos(th), np.sin(ph), np.cos(ph)
        right = np.array([ct, 0.0, -st], np.float32)
        up = np.array([sp * st, cp, sp * ct], np.float32)
        forward = np.array([st * cp, -sp, ct * cp], np.float32)
        return right, up, forward

    def focal(self, h: int) -> float:
        return (h / 2) / np.tan(np.radians(self.fov) / 2)

    @property
    def centre(self) -> np.ndarray:
        return np.array([0.0, self.height, 0.0], np.float32)

    def rays(self, h: int, w: int) -> np.ndarray:
        """(H, W, 3) world directions through every pixel centre, scaled so that their
        forward component is 1: a ray parameter t then is the camera-space depth."""
        f = self.focal(h)
        x = (np.arange(w, dtype=np.float32) + 0.5 - w / 2) / f
        y = -(np.arange(h, dtype=np.float32) + 0.5 - h / 2) / f
        right, up, forward = self.basis
        return x[None, :, None] * right + y[:, None, None] * up + forward

    # -- objects ------------------------------------------------------------------
    def object_axes(self, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """In-plane axes a, b and normal n of object ``j`` (world)."""
        psi = np.radians(self.yaw[j])
        a = np.array([np.cos(psi), 0.0, -np.sin(psi)], np.float32)
        b = np.array([0.0, 1.0, 0.0], np.float32)
        n = np.array([np.sin(psi), 0.0, np.cos(psi)], np.float32)
        return a, b, n

    def shape_to_world(self, ab: np.ndarray) -> np.ndarray:
        """(M, 2) shape coordinates in [-1, 1]^2 (before roll and scaling) -> (N, M, 3)
        world points on each of the N objects."""
        rho, psi = np.radians(self.roll)[:, None], np.radians(self.yaw)[:, None]
        la, lb = ab[:, 0] * self.size[:, :1], ab[:, 1] * self.size[:, 1:]  # (N, M)
        ra, rb = np.cos(rho) * la - np.sin(rho) * lb, np.sin(rho) * la + np.cos(rho) * lb
        # axis a = (cos yaw, 0, -sin yaw), axis b = +y
        return self.position[:, None, :] + np.stack([ra * np.cos(psi), rb, -ra * np.sin(psi)], axis=-1)

    def project(self, points: np.ndarray, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
        """(..., 3) world points -> ((..., 2) pixel coordinates (u, v), (...) camera depth)."""
        right, up, forward = self.basis
        q = points - self.centre
        x, y, z = q @ right, q @ up, q @ forward
        f = self.focal(h)
        safe = np.where(np.abs(z) < 1e-6, 1e-6, z)
        return np.stack([f * x / safe + w / 2 - 0.5, -f * y / safe + h / 2 - 0.5], axis=-1), z

    def ridge_height(self, heading: np.ndarray) -> np.ndarray:
        """Mountain ridge elevation (degrees) at world heading (radians)."""
        amp, phase = self.ridge[:, 0], self.ridge[:, 1]
        wave = np.einsum("...k,k->...", np.sin(heading[..., None] * RIDGE_HARMONICS + phase), amp)
        return self.ridge_base + wave


def sample_scene(rng: np.random.Generator, shapes: tuple[str, ...], min_objects: int, max_objects: int,
                 aspect: float, lake: bool, mountains: bool) -> Scene:
    """Draw a scene whose objects all stand in front of the camera, inside its view.

    :param shapes: the enabled thing classes; ``Scene.category`` indexes them.
    :param aspect: image width / height (objects are spread over the horizontal view).
    """
    elevation = rng.uniform(5.0, 25.0)
    azimuth = rng.uniform(-180.0, 180.0)
    fov = rng.uniform(45.0, 65.0)
    height = rng.uniform(1.4, 2.0)
    sun_az, sun_el = np.radians(rng.uniform(-180, 180)), np.radians(rng.uniform(20, 70))
    sun = np.array([np.sin(sun_az) * np.cos(sun_el), np.sin(sun_el), np.cos(sun_az) * np.cos(sun_el)], np.float32)
    ridge = np.stack([rng.uniform(0.0, 2.5, 4) / np.arange(1, 5), rng.uniform(0, 2 * np.pi, 4)], 1)
    ridge_base = rng.uniform(2.0, 6.0) if mountains else -90.0
    th = np.radians(azimuth)

    def ahead(dist: np.ndarray, lateral: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # camera-relative ground offsets -> world x, z
        return dist * np.sin(th) + lateral * np.cos(th), dist * np.cos(th) - lateral * np.sin(th)

    lake_dist, lake_lat = rng.uniform(9.0, 25.0), rng.uniform(-0.5, 0.5)
    lx, lz = ahead(np.float32(lake_dist), np.float32(lake_lat * lake_dist))
    present = bool(lake and rng.uniform() < 0.6)
    lake_params = np.array([lx, lz, rng.uniform(3.0, 8.0), rng.uniform(2.0, 6.0), rng.uniform(0, 180), present],
                           np.float32)

    n = int(rng.integers(min_objects, max_objects + 1))
    category = rng.integers(0, len(shapes), n)
    name = np.asarray(shapes)[category]
    dist = rng.uniform(3.5, 14.0, n)
    lateral = dist * np.tan(np.radians(fov) / 2) * aspect * rng.uniform(-0.7, 0.7, n)
    x, z = ahead(dist, lateral)
    size_b = rng.uniform(0.35, 1.0, n)
    aspect = rng.uniform(0.7, 1.4, n)
    aspect = np.where(np.isin(name, ("disc", "star")), 1.0, aspect)  # round shapes
    elongated = rng.uniform(0.4, 0.65, n)
    aspect = np.where(name == "ellipse", np.where(rng.uniform(size=n) < 0.5, elongated, 1 / elongated), aspect)
    size = np.stack([size_b * aspect, size_b], 1)
    position = np.stack([x, size_b, z], 1)
    yaw = azimuth + rng.uniform(-50.0, 50.0, n)
    roll = rng.uniform(-25.0, 25.0, n)
    return Scene(elevation, azimuth, fov, height, sun, ridge.astype(np.float32), float(ridge_base), lake_params,
                 category.astype(np.int64), position.astype(np.float32), yaw.astype(np.float32),
                 roll.astype(np.float32), size.astype(np.float32))

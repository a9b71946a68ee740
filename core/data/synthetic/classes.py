"""The synthetic world's class table and its global looks (domains).

Default class table (label ids when every class is enabled; a subset chosen with the
``stuff`` / ``things`` params is renumbered contiguously in this order):

====  ==========  =====  ==========================================================
 id   name        kind   what it is
====  ==========  =====  ==========================================================
  0   sky         stuff  everything above the horizon and the mountain ridge
  1   mountain    stuff  a ridge on the horizon (at infinity), periodic in heading
  2   water       stuff  a lake on the ground plane (present in ~60% of scenes)
  3   ground      stuff  the ground plane y = 0
  4   disc        thing  a circle on a vertical plane
  5   box         thing  a rectangle
  6   triangle    thing  an isosceles triangle, apex up
  7   star        thing  a five-pointed star
  8   ellipse     thing  an elongated ellipse
====  ==========  =====  ==========================================================

``class_label`` (the category of the main object) indexes the *thing* classes only:
0 = disc, 1 = box, ... in the order of the enabled things.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WorldClass:
    name: str
    isthing: bool
    colour: tuple[float, float, float]  # mean linear RGB in [0, 1]; per-sample colours vary around it


STUFF: tuple[WorldClass, ...] = (
    WorldClass("sky", False, (0.50, 0.70, 0.95)),
    WorldClass("mountain", False, (0.45, 0.40, 0.38)),
    WorldClass("water", False, (0.12, 0.32, 0.58)),
    WorldClass("ground", False, (0.32, 0.55, 0.24)),
)
THINGS: tuple[WorldClass, ...] = (
    WorldClass("disc", True, (0.85, 0.22, 0.18)),
    WorldClass("box", True, (0.88, 0.72, 0.20)),
    WorldClass("triangle", True, (0.58, 0.30, 0.78)),
    WorldClass("star", True, (0.98, 0.55, 0.12)),
    WorldClass("ellipse", True, (0.18, 0.72, 0.70)),
)
STUFF_NAMES = tuple(c.name for c in STUFF)
THING_NAMES = tuple(c.name for c in THINGS)
REQUIRED_STUFF = ("sky", "ground")  # every ray ends in one of them


@dataclass(frozen=True)
class Domain:
    """A global look: ``rgb' = matrix @ rgb + bias`` on every pixel, whatever its class."""

    name: str
    matrix: tuple[tuple[float, float, float], ...]
    bias: tuple[float, float, float]


DOMAINS: tuple[Domain, ...] = (
    Domain("day", ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)), (0.0, 0.0, 0.0)),
    # warm, low sun: red kept, blue suppressed, a little desaturation
    Domain("dusk", ((0.95, 0.15, 0.05), (0.10, 0.62, 0.05), (0.05, 0.10, 0.42)), (0.06, 0.02, 0.03)),
    # dark and blue-shifted (Purkinje): low gain, blue dominates
    Domain("night", ((0.16, 0.05, 0.04), (0.04, 0.18, 0.06), (0.05, 0.08, 0.34)), (0.01, 0.02, 0.06)),
    # washed out towards grey
    Domain("fog", ((0.45, 0.05, 0.05), (0.05, 0.45, 0.05), (0.05, 0.05, 0.45)), (0.38, 0.39, 0.41)),
)


def apply_domain(rgb: np.ndarray, domain: Domain) -> np.ndarray:
    """(H, W, 3) linear RGB in [0, 1] -> the same scene under ``domain``'s look."""
    # per-channel products, not a matmul: BLAS would start threads in every data worker
    m, b = np.asarray(domain.matrix, np.float32), np.asarray(domain.bias, np.float32)
    out = rgb[..., 0:1] * m[:, 0] + rgb[..., 1:2] * m[:, 1] + rgb[..., 2:3] * m[:, 2] + b
    return np.clip(out, 0.0, 1.0, out=out)

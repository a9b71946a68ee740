"""Ray-cast rendering of a `Scene`: label, instance and depth maps, textures, sketches.

Every pixel casts the ray of the pinhole camera; it hits the ground plane, the mountain
ridge at infinity, the sky, or one of the objects' planes (nearest wins through a depth
buffer). Textures live in each surface's own coordinates (ground metres, the sky dome's
angles, an object's plane), so they foreshorten with the perspective like real ones.
All work is vectorised numpy; objects are rasterised only inside their projected box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scene import Scene

#: columns of ``region_style_params``: the colour and texture of each class's region
STYLE_PARAMS = ("red", "green", "blue", "stripe_freq", "stripe_angle", "stripe_amp", "noise_freq", "noise_amp")
DOME_RADIUS = 10.0  # metres per radian on the sky dome: sky textures use world-like units
_TIPS = np.radians(90.0 + 72.0 * np.arange(5))  # the star's outer tips, the first points up


def _star(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The regular five-pointed star (pentagram, tips at radius 1): its five edge lines lie
    at distance cos 72 deg from the centre, normal to the tip directions; the centre
    pentagon is inside all five, each tip inside four, everything else inside at most three."""
    inside = np.zeros(a.shape, np.int8)
    for theta in _TIPS:
        inside += a * np.cos(theta) + b * np.sin(theta) <= np.cos(np.radians(72.0))
    return inside >= 4


SHAPES = {
    "disc": lambda a, b: a * a + b * b <= 1.0,
    "ellipse": lambda a, b: a * a + b * b <= 1.0,  # elongated through its size (aspect)
    "box": lambda a, b: (np.abs(a) <= 1.0) & (np.abs(b) <= 1.0),
    "triangle": lambda a, b: (b >= -1.0) & (np.abs(a) <= (1.0 - b) / 2),
    "star": _star,
}


@dataclass
class Layout:
    """What the rays hit, per pixel."""

    label: np.ndarray  # (H, W) int64
    instance: np.ndarray  # (H, W) int64, 0 = stuff, objects numbered 1.. in scene order
    depth: np.ndarray  # (H, W) float32 camera depth, inf for sky and mountains
    tex: np.ndarray  # (2, H, W) float32 texture coordinates of the surface hit
    footprint: np.ndarray  # (H, W) float32 size of a pixel in texture units (anti-aliasing)
    light: np.ndarray  # (H, W) float32 diffuse shading factor
    instance_of: np.ndarray  # (N,) instance id of each scene object, 0 when fully hidden


def _stuff(scene: Scene, rays: np.ndarray, f: float, stuff_ids: dict[str, int]):
    """Label, texture coordinates, footprint and depth of the background: rays going down
    hit the ground plane (and maybe the lake), the others the mountain ridge or the sky.

    The camera never rolls, so a ray's vertical component depends on its row only: the
    sky is the rows above the horizon, the ground the rows below, and each part is
    computed on its own rows (views, no masks)."""
    h, w, _ = rays.shape
    k = int(np.count_nonzero(rays[:, 0, 1] >= -1e-6))  # rows looking up (dy falls row by row)
    label = np.empty((h, w), np.int64)
    tex = np.empty((2, h, w), np.float32)
    footprint = np.full((h, w), DOME_RADIUS / f, np.float32)
    depth = np.full((h, w), np.inf, np.float32)

    g = rays[k:]
    dy = g[:, :1, 1]  # (rows, 1)
    t = -scene.height / dy
    gx, gz = t * g[..., 0], t * g[..., 2]
    label[k:] = stuff_ids["ground"]
    if "water" in stuff_ids and scene.lake[5] > 0:
        cx, cz, ra, rb, ang = scene.lake[:5]
        c, s = np.cos(np.radians(ang)), np.sin(np.radians(ang))
        p, q = (c * (gx - cx) + s * (gz - cz)) / ra, (-s * (gx - cx) + c * (gz - cz)) / rb
        r2 = p * p + q * q
        sin_phi = q / np.sqrt(np.maximum(r2, 1e-12))
        shore = 1.0 + 0.15 * (3 * sin_phi - 4 * sin_phi ** 3)  # 1 + 0.15 sin(3 phi): a wavy shore
        label[k:][r2 < shore * shore] = stuff_ids["water"]
    tex[0, k:], tex[1, k:] = gx, gz
    grazing = np.maximum(-dy / np.sqrt(np.einsum("hwc,hwc->hw", g, g)), 0.02)
    footprint[k:] = t / (f * grazing)
    depth[k:] = t

    d = rays[:k]
    heading = np.arctan2(d[..., 0], d[..., 2])
    elev = np.arctan2(d[..., 1], np.hypot(d[..., 0], d[..., 2]))
    label[:k] = stuff_ids["sky"]
    if "mountain" in stuff_ids:
        label[:k][np.degrees(elev) < scene.ridge_height(heading)] = stuff_ids["mountain"]
    # unwrap the heading around the view direction so that its +-pi seam stays behind the camera
    az = np.radians(scene.azimuth)
    unwrapped = az + np.mod(heading - az + np.pi, 2 * np.pi) - np.pi
    tex[0, :k], tex[1, :k] = unwrapped * DOME_RADIUS, elev * DOME_RADIUS
    return label, tex, footprint, depth


_CORNERS = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float32)


def _screen_boxes(scene: Scene, h: int, w: int) -> np.ndarray:
    """(N, 4) rows and columns (v0, v1, u0, u1) covering each object: the projection of
    its rotated bounding square, which holds the shape because the shape is flat. Empty
    (v0 == v1) when it is off screen or behind the camera."""
    uv, z = scene.project(scene.shape_to_world(_CORNERS), h, w)  # (N, 4, 2), (N, 4)
    lo = np.clip(np.floor(uv.min(1)).astype(np.int64), 0, [w, h])
    hi = np.clip(np.ceil(uv.max(1)).astype(np.int64) + 1, 0, [w, h])
    boxes = np.stack([lo[:, 1], hi[:, 1], lo[:, 0], hi[:, 0]], axis=1)
    empty = (z <= 1e-3).any(1) | (lo >= hi).any(1)
    boxes[empty] = 0
    return boxes


def _intersect(scene: Scene, j: int, rays: np.ndarray):
    """Where ``rays`` meet object ``j``'s plane: depth t, shape coordinates (a, b) (the
    shape spans [-1, 1]^2 before its roll) and how squarely each ray faces the plane."""
    axis_a, _, normal = scene.object_axes(j)
    denom = np.einsum("hwc,c->hw", rays, normal)  # einsum: no BLAS threads per pixel
    denom = np.where(np.abs(denom) < 1e-6, 1e-6, denom)
    offset = scene.position[j] - scene.centre
    t = float(offset @ normal) / denom
    # in-plane coordinates of the hit point C + t d relative to the centre P (axis b is +y)
    la = t * np.einsum("hwc,c->hw", rays, axis_a) - float(offset @ axis_a)
    lb = t * rays[..., 1] - offset[1]
    rho = np.radians(scene.roll[j])
    a = (np.cos(rho) * la + np.sin(rho) * lb) / scene.size[j, 0]
    b = (-np.sin(rho) * la + np.cos(rho) * lb) / scene.size[j, 1]
    facing = np.abs(denom) / np.sqrt(np.einsum("hwc,hwc->hw", rays, rays))
    return t, a, b, facing


def render_layout(scene: Scene, h: int, w: int, stuff_ids: dict[str, int], thing_ids: np.ndarray,
                  shapes: tuple[str, ...]) -> Layout:
    """Cast every pixel's ray into ``scene``.

    :param stuff_ids: label id of each enabled stuff class (sky and ground always).
    :param thing_ids: label id of each enabled thing class, indexed by ``scene.category``.
    :param shapes: shape name of each enabled thing class.
    """
    rays = scene.rays(h, w)
    f = scene.focal(h)
    label, tex, footprint, depth = _stuff(scene, rays, f, stuff_ids)
    light = np.ones((h, w), np.float32)
    instance = np.zeros((h, w), np.int64)

    for j, (v0, v1, u0, u1) in enumerate(_screen_boxes(scene, h, w).tolist()):
        if v0 == v1:
            continue
        rows, cols = slice(v0, v1), slice(u0, u1)
        t, a, b, facing = _intersect(scene, j, rays[rows, cols])
        hit = SHAPES[shapes[scene.category[j]]](a, b) & (t > 0) & (t < depth[rows, cols])
        np.copyto(label[rows, cols], thing_ids[scene.category[j]], where=hit)
        np.copyto(instance[rows, cols], j + 1, where=hit)
        np.copyto(depth[rows, cols], t, where=hit)
        np.copyto(tex[0, rows, cols], a, where=hit)
        np.copyto(tex[1, rows, cols], b, where=hit)
        np.copyto(footprint[rows, cols], t / (f * scene.size[j, 1] * np.maximum(facing, 0.1)), where=hit)
        normal = scene.object_axes(j)[2]
        np.copyto(light[rows, cols], 0.55 + 0.45 * abs(float(normal @ scene.sun)), where=hit)

    # number the visible objects 1..M in scene order; hidden ones get 0
    visible = np.bincount(instance.ravel(), minlength=len(scene.category) + 1) > 0
    visible[0] = False
    lut = np.zeros(len(visible), np.int64)
    lut[visible] = np.arange(1, visible.sum() + 1)
    return Layout(label, lut[instance], depth, tex, footprint, light, lut[1:])


def value_noise(x: np.ndarray, y: np.ndarray, key: np.ndarray | int) -> np.ndarray:
    """Smooth lattice noise in [0, 1] at (x, y); ``key`` selects an independent pattern.

    Integer hashing of the lattice corners (uint32 arithmetic wraps by definition), so it
    is bit-identical everywhere and needs no floating-point sine tricks.
    """
    xi, yi = np.floor(x), np.floor(y)
    fx, fy = x - xi, y - yi
    fx, fy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
    xi, yi = xi.astype(np.int64).astype(np.uint32), yi.astype(np.int64).astype(np.uint32)
    salt = (((np.asarray(key, np.int64) & 0xFFFFFFFF) * 0x27D4EB2F) & 0xFFFFFFFF).astype(np.uint32)

    def corner(i, j):
        hsh = (i * np.uint32(0x9E3779B1)) ^ (j * np.uint32(0x85EBCA77)) ^ salt
        hsh ^= hsh >> np.uint32(15)
        hsh *= np.uint32(0x2C1B3C6D)
        hsh ^= hsh >> np.uint32(13)
        return (hsh >> np.uint32(16)).astype(np.float32) / 65535.0

    one = np.uint32(1)
    top = corner(xi, yi) * (1 - fx) + corner(xi + one, yi) * fx
    bottom = corner(xi, yi + one) * (1 - fx) + corner(xi + one, yi + one) * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


def shade(layout: Layout, style: np.ndarray, noise_key: int) -> np.ndarray:
    """(H, W, 3) linear RGB in [0, 1]: each region's colour modulated by its stripes and
    noise (``style`` is the (K, D) ``region_style_params``), faded out where a pixel is too
    coarse to carry the frequency (no aliasing), times the diffuse light."""
    p = style[layout.label]  # (H, W, D)
    s, t = layout.tex
    theta = np.radians(p[..., 4])
    fade_s = np.clip(1 - 2 * p[..., 3] * layout.footprint, 0, 1)
    fade_n = np.clip(1 - 2 * p[..., 6] * layout.footprint, 0, 1)
    stripes = p[..., 5] * np.sin(2 * np.pi * p[..., 3] * (s * np.cos(theta) + t * np.sin(theta))) * fade_s
    key = layout.label + 1009 * noise_key
    noise = p[..., 7] * (2 * value_noise(p[..., 6] * s, p[..., 6] * t, key) - 1) * fade_n
    rgb = p[..., :3] * ((1 + stripes + noise) * layout.light)[..., None]
    return np.clip(rgb, 0, 1).astype(np.float32)


def sketch_strokes(outline: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A free-hand-like drawing of ``outline`` (H, W) bool: every outline pixel moves by a
    smooth random displacement (about 1% of the image, so strokes wobble) and is dropped
    where a smooth random mask is low (strokes break over about a quarter of their
    length), as a person's strokes would. Only outline pixels are computed."""
    h, w = outline.shape
    ys, xs = np.nonzero(outline)
    ys, xs = ys.astype(np.float32), xs.astype(np.float32)
    u, v = xs * (4.0 / w), ys * (4.0 / h)  # about four wobbles across the image
    keys = rng.integers(0, 2 ** 31, 3)
    amp = 0.01 * min(h, w) + 0.75
    keep = value_noise(u * 1.5, v * 1.5, keys[2]) > 0.3
    x = np.clip(np.rint(xs + amp * (2 * value_noise(u, v, keys[0]) - 1)), 0, w - 1).astype(np.int64)
    y = np.clip(np.rint(ys + amp * (2 * value_noise(u, v, keys[1]) - 1)), 0, h - 1).astype(np.int64)
    out = np.zeros((h, w), bool)
    out[y[keep], x[keep]] = True
    return out

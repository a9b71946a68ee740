"""Map operations shared by every dataset: boxes from instance maps, edges, and the COCO
panoptic id encoding.

Boxes are always derived from the (transformed) pixels, never carried from annotation
files, so they stay consistent with crops and flips and enclose exactly the object's
visible pixels.
"""

from __future__ import annotations

import numpy as np
import torch

from ganforge.condition import instance_edges

#: panoptic segment ids below this value are stuff; see `panoptic_ids`.
PANOPTIC_INSTANCE_STRIDE = 256


def boxes_from_instances(label: np.ndarray, instance: np.ndarray, max_boxes: int) -> np.ndarray:
    """(max_boxes, 5) float32 rows ``(class, x0, y0, x1, y1)`` in [0, 1] units, one per
    instance id > 0 in ascending id order, padded with class -1.

    ``x0, y0`` is the top-left corner of the first covered pixel and ``x1, y1`` the
    bottom-right corner of the last, so the box encloses every pixel of the instance.
    The class is the label of the instance's pixels (its most frequent one).
    """
    h, w = instance.shape
    out = np.zeros((max_boxes, 5), np.float32)
    out[:, 0] = -1
    ids = np.flatnonzero(np.bincount(instance.ravel()))
    for n, k in enumerate(ids[ids > 0][:max_boxes]):
        mask = instance == k
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        out[n] = (np.bincount(label[mask]).argmax(), cols[0] / w, rows[0] / h, (cols[-1] + 1) / w, (rows[-1] + 1) / h)
    return out


def components8(mask: np.ndarray) -> np.ndarray:
    """(H, W) int64 labels of the 8-connected components of a bool mask (0 outside, 1..n
    in raster order of each component's first pixel), as OpenCV's border following sees
    them. Union-find over horizontal runs: a run touches a run of the row above when their
    column spans overlap or meet diagonally."""
    h, w = mask.shape
    runs: list[tuple[int, int, int]] = []  # (row, first col, last col)
    row_runs: list[list[int]] = []
    for r in range(h):
        m = np.concatenate(([False], mask[r], [False]))
        change = np.flatnonzero(m[1:] != m[:-1])
        row_runs.append([])
        for a, b in zip(change[::2], change[1::2] - 1):
            row_runs[r].append(len(runs))
            runs.append((r, int(a), int(b)))
    parent = list(range(len(runs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(1, h):
        for i in row_runs[r]:
            _, a, b = runs[i]
            for j in row_runs[r - 1]:
                _, c, d = runs[j]
                if c <= b + 1 and d >= a - 1:
                    ri, rj = find(i), find(j)
                    parent[max(ri, rj)] = min(ri, rj)
    out = np.zeros((h, w), np.int64)
    names: dict[int, int] = {}
    for i, (r, a, b) in enumerate(runs):
        out[r, a:b + 1] = names.setdefault(find(i), len(names) + 1)
    return out


def boxes_from_components(label: np.ndarray, classes, max_boxes: int, min_area: int = 0) -> np.ndarray:
    """(max_boxes, 5) rows like `boxes_from_instances`, one per 8-connected component of
    each class in ``classes`` present in ``label`` (classes ascending, components in raster
    order), for layouts without instance maps. A component whose box spans
    ``(rows - 1) * (cols - 1) < min_area`` is dropped (BachGAN's ADE20K rule)."""
    h, w = label.shape
    out = np.zeros((max_boxes, 5), np.float32)
    out[:, 0] = -1
    n = 0
    wanted = set(int(c) for c in classes)
    for c in np.unique(label):
        if int(c) not in wanted:
            continue
        comp = components8(label == c)
        for k in range(1, int(comp.max()) + 1):
            rows, cols = np.flatnonzero((comp == k).any(1)), np.flatnonzero((comp == k).any(0))
            if (rows[-1] - rows[0]) * (cols[-1] - cols[0]) < min_area:
                continue
            if n == max_boxes:
                return out
            out[n] = (c, cols[0] / w, rows[0] / h, (cols[-1] + 1) / w, (rows[-1] + 1) / h)
            n += 1
    return out


def boundary_map(*maps: torch.Tensor) -> torch.Tensor:
    """(1, H, W) float {0, 1}: pixels whose 4-neighbour differs in any of the (H, W) maps,
    marked on both sides of the boundary as pix2pixHD/SPADE mark instance edges."""
    edge = torch.zeros((1,) + tuple(maps[0].shape), dtype=torch.float32)
    for m in maps:
        edge = torch.maximum(edge, instance_edges(m[None])[0])
    return edge


def panoptic_ids(label: np.ndarray, instance: np.ndarray) -> np.ndarray:
    """The synthetic world's panoptic ids: ``(label + 1) + 256 * instance``.

    Stuff pixels (instance 0) get one segment per class, each thing its own segment; id 0
    stays free for COCO's "void". Encoded into a PNG with `ids_to_rgb` this is exactly
    COCO's ``id = R + 256 G + 256^2 B`` with R = category id, (G, B) = instance.
    """
    return (label.astype(np.int64) + 1) + PANOPTIC_INSTANCE_STRIDE * instance.astype(np.int64)


def ids_to_rgb(ids: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 PNG colours of COCO panoptic ids: ``id = R + 256 G + 256^2 B``."""
    ids = ids.astype(np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= 256 ** 3):
        raise ValueError(f"panoptic ids must lie in [0, 2^24), got [{ids.min()}, {ids.max()}]")
    return np.stack([ids % 256, (ids // 256) % 256, ids // 256 ** 2], axis=-1).astype(np.uint8)


def rgb_to_ids(rgb: np.ndarray) -> np.ndarray:
    """(H, W) int64 COCO panoptic ids of an (H, W, 3) PNG: ``R + 256 G + 256^2 B``."""
    rgb = rgb.astype(np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 ** 2 * rgb[..., 2]


def segments_info(panoptic: np.ndarray, category_of, isthing_of) -> list[dict]:
    """COCO ``segments_info`` of a panoptic id map: one entry per id > 0 with ``id``,
    ``category_id``, ``isthing``, ``iscrowd`` (0), ``bbox`` ``[x, y, w, h]`` in pixels and
    ``area`` in pixels. ``category_of(id)`` / ``isthing_of(category)`` name the segment."""
    out = []
    for seg in np.unique(panoptic):
        if seg == 0:
            continue
        ys, xs = np.nonzero(panoptic == seg)
        cat = int(category_of(int(seg)))
        out.append({
            "id": int(seg), "category_id": cat, "isthing": int(bool(isthing_of(cat))), "iscrowd": 0,
            "bbox": [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)],
            "area": int(xs.size),
        })
    return out

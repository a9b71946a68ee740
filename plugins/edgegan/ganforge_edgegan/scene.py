"""The application: a scene sketch -> a scene image (Sec. 3, Fig. 2).

1. Each object sketch, cut out by its box as a square and resized to the foreground size,
   goes through the edge encoder E to a latent z; with the box's class, G_E draws the
   object's edge map and G_I its image (the sketch -> edge -> image path).
2. The object images are resized into their boxes and pasted, where they are not white
   (the objects are generated on white, as SketchyCOCO's foreground crops), onto the
   background sketch drawn black on white: the scene sketch composite.
3. The background stage (pix2pix) turns the composite into the scene image.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ganforge import Condition
from ganforge.errors import ConditionMismatch

from .background import FIELD
from .crops import crop, square_boxes
from .layers import to_edge_image

WHITE = 0.8  # a generated pixel brighter than this in every channel ([-1, 1] units) is background


@dataclass
class Composed:
    """Every intermediate of one scene (batch of one), all (1, 3, H, W) in [-1, 1]."""

    scene_sketch: torch.Tensor  # object sketches + background sketch, black on white
    edges: torch.Tensor  # G_E's edge maps pasted into the boxes, on white
    composite: torch.Tensor  # the generated objects on the background sketch
    image: torch.Tensor  # the background stage's output


def paste(canvas: torch.Tensor, mask_canvas: torch.Tensor, obj: torch.Tensor, square: torch.Tensor) -> None:
    """Resize ``obj`` (C, s, s) to the integer ``square`` (x0, y0, x1, y1 pixels) and write
    its non-white pixels into ``canvas`` (C, H, W), clipped to the canvas; marks ``mask_canvas``."""
    h, w = canvas.shape[-2:]
    x0, y0, x1, y1 = (int(round(float(v))) for v in square)
    side = max(x1 - x0, y1 - y0, 1)
    big = F.interpolate(obj[None], size=(side, side), mode="bilinear", align_corners=False, antialias=True)[0]
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
    if cx0 >= cx1 or cy0 >= cy1:
        return
    part = big[:, cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0]
    keep = (part < WHITE).any(0)
    canvas[:, cy0:cy1, cx0:cx1] = torch.where(keep, part, canvas[:, cy0:cy1, cx0:cx1])
    mask_canvas[cy0:cy1, cx0:cx1] |= keep


@torch.no_grad()
def compose(generator, encoder, background, sketch: torch.Tensor, background_sketch: torch.Tensor,
            boxes: torch.Tensor, size: int, background_size: tuple[int, int] | None = None) -> Composed:
    """One scene: ``sketch`` and ``background_sketch`` (1, 1, H, W) strokes in {0, 1};
    ``boxes`` (N, 5) rows (object class, x0, y0, x1, y1) in [0, 1], class -1 rows skipped."""
    if sketch.shape[0] != 1 or sketch.shape != background_sketch.shape:
        raise ConditionMismatch(f"compose: sketch {tuple(sketch.shape)} and background sketch "
                                f"{tuple(background_sketch.shape)} must both be (1, 1, H, W)")
    boxes = boxes[boxes[:, 0] >= 0]
    h, w = sketch.shape[-2:]
    channels = encoder.params.edge_channels
    composite = to_edge_image(background_sketch, 3).clone()[0]
    edges = torch.ones_like(composite)
    objects = torch.zeros(h, w, dtype=torch.bool)
    if len(boxes):
        squares = square_boxes(boxes[:, 1:], h, w)
        strokes = (crop(sketch.float().expand(len(boxes), -1, -1, -1), squares, size) > 0.2).float()
        z = encoder.encode(to_edge_image(strokes, channels))["z"]
        fake_edge, fake_image = generator.pair(Condition(z=z, class_label=boxes[:, 0].long()))
        for k, square in enumerate(squares):
            paste(edges, torch.zeros(h, w, dtype=torch.bool), fake_edge[k, :1].expand(3, -1, -1), square)
            paste(composite, objects, fake_image[k], square)
    composite = composite[None]
    size_bg = background_size or (h, w)
    inp = composite if (h, w) == tuple(size_bg) else F.interpolate(composite, size=size_bg, mode="bilinear",
                                                                   align_corners=False, antialias=True)
    image = background(Condition({FIELD: inp}))
    if tuple(image.shape[-2:]) != (h, w):
        image = F.interpolate(image, size=(h, w), mode="bilinear", align_corners=False, antialias=True)
    scene = to_edge_image(torch.maximum(sketch.float(), background_sketch.float()), 3)
    return Composed(scene, edges[None], composite, image)


@torch.no_grad()
def object_scores(recipe, generator, encoder, batches, metric) -> dict[str, float]:
    """How well sketch -> edge -> image reproduces the data's objects: ``metric`` (e.g. SWD)
    between G_I(E(edge), y) and the real object crops, and the mean L1 between the real
    edge images and G_E(E(edge), y) (E and G_E inverting each other)."""
    metric.reset()
    l1, n = 0.0, 0
    for image, cond in batches:
        edge, obj, label = recipe.objects(image, cond)
        z = encoder.encode(edge)["z"]
        fake_edge, fake = generator.pair(Condition(z=z, class_label=label))
        metric.update(fake, real=obj)
        l1, n = l1 + float((fake_edge - edge).abs().mean()) * len(obj), n + len(obj)
    return {**metric.compute(), "edge_l1": l1 / n}

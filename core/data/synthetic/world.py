"""The synthetic world as a `ganforge.Dataset`: every modality the papers need, with
ground truth, generated on the fly from ``(seed, index)``.

Sample ``i`` of seed ``s`` is a pure function of ``(s, i)``: its random streams come from
``numpy.random.SeedSequence([s, i])``, so it is identical in any worker, order or process.
Each aspect has its own stream (layout, style, domain, labelled split, sketch), so that
changing one (say the domain) leaves the others untouched.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from pydantic import Field, field_validator, model_validator

from ganforge.condition import field_table
from ganforge.interfaces import DataInfo, Dataset, Params

from ..ops import PANOPTIC_INSTANCE_STRIDE, boundary_map, boxes_from_instances, panoptic_ids, segments_info
from .classes import DOMAINS, REQUIRED_STUFF, STUFF, STUFF_NAMES, THING_NAMES, THINGS, WorldClass, apply_domain
from .render import STYLE_PARAMS, Layout, render_layout, shade, sketch_strokes
from .scene import Scene, sample_scene

#: everything a sample can hold besides "image"; ``fields`` picks among them
MODALITIES = ("label", "instance", "panoptic", "boxes", "edge", "sketch", "domain", "class_label",
              "region_style_params", "scene")
Modality = Literal["label", "instance", "panoptic", "boxes", "edge", "sketch", "domain", "class_label",
                   "region_style_params", "scene"]
_STREAMS = ("layout", "style", "domain", "labelled", "sketch")


class SyntheticParams(Params):
    """Parameters of the synthetic world."""

    resolution: tuple[int, int] = Field((128, 128), description="(H, W), or one int for square images")
    seed: int = Field(0, ge=0, description="world seed: sample i of a seed never changes")
    length: int = Field(10000, ge=1, description="samples per epoch")
    num_domains: int = Field(3, ge=1, le=len(DOMAINS), description="global looks used: day, dusk, night, fog")
    domain: int | None = Field(None, ge=0, description="render every sample in this domain (default: drawn)")
    stuff: tuple[str, ...] = Field(STUFF_NAMES, description=f"stuff classes, from {STUFF_NAMES}")
    things: tuple[str, ...] = Field(THING_NAMES, description=f"thing classes (shapes), from {THING_NAMES}")
    min_objects: int = Field(1, ge=1, description="fewest objects in a scene")
    max_objects: int = Field(6, ge=1, description="most objects in a scene")
    max_boxes: int = Field(8, ge=1, description="rows of 'boxes' (padded with class -1)")
    labelled_fraction: float = Field(1.0, ge=0.0, le=1.0, description="share of samples whose class_label is kept")
    fields: tuple[Modality, ...] = Field(MODALITIES, description="modalities each sample holds besides 'image'")

    @field_validator("resolution", mode="before", json_schema_input_type=int | tuple[int, int])
    @classmethod
    def _square(cls, value):
        return (value, value) if isinstance(value, int) else value

    @field_validator("resolution")
    @classmethod
    def _range(cls, value):
        if not all(16 <= v <= 4096 for v in value):
            raise ValueError(f"each side must lie in [16, 4096] (designed for 64..1024), got {value}")
        return value

    @model_validator(mode="after")
    def _consistent(self):
        unknown = [n for n in self.stuff if n not in STUFF_NAMES] + [n for n in self.things if n not in THING_NAMES]
        if unknown:
            raise ValueError(f"unknown classes {unknown}; stuff: {STUFF_NAMES}, things: {THING_NAMES}")
        missing = [n for n in REQUIRED_STUFF if n not in self.stuff]
        if missing or not self.things:
            raise ValueError(f"stuff must include {REQUIRED_STUFF} and things at least one shape")
        if self.min_objects > self.max_objects:
            raise ValueError(f"min_objects {self.min_objects} > max_objects {self.max_objects}")
        if self.max_boxes < self.max_objects:
            raise ValueError(f"max_boxes {self.max_boxes} < max_objects {self.max_objects}: boxes would be lost")
        if self.domain is not None and self.domain >= self.num_domains:
            raise ValueError(f"domain {self.domain} >= num_domains {self.num_domains}")
        return self


class SyntheticWorld(Dataset):
    """A seeded procedural world of stuff and shapes seen through a perspective camera.

    ``world[i]`` is a dict of tensors (no batch dimension): ``image`` (3, H, W) in [-1, 1]
    and the chosen ``fields``:

    * ``label`` (H, W) long, ids of `classes`; ``instance`` (H, W) long, 0 = stuff;
    * ``panoptic`` (H, W) long, ``(label + 1) + 256 * instance`` (COCO ids: R = category);
    * ``boxes`` (max_boxes, 5): (class, x0, y0, x1, y1) in [0, 1], tight around each
      instance's visible pixels, class -1 pads;
    * ``edge`` (1, H, W) {0, 1}: boundaries of label and instance maps;
    * ``sketch`` (1, H, W) {0, 1}: jittered, broken strokes of the object outlines;
    * ``domain`` () long; ``class_label`` () long, the thing category of the main (largest
      visible) object or -1 when unlabelled, with ``labelled`` () bool and
      ``true_class_label`` () long to score pseudo-labels;
    * ``region_style_params`` (K, 8) float: per class colour and texture (`STYLE_PARAMS`),
      with ``region_present`` (K,) bool;
    * ``scene``: dict of the 3D parameters that were rendered (see `scene.Scene`).
    """

    Params = SyntheticParams
    provides = frozenset({"label", "instance", "panoptic", "boxes", "edge", "sketch", "domain", "class_label"})

    def __init__(self, params: SyntheticParams):
        super().__init__(params)
        self.classes: tuple[WorldClass, ...] = (tuple(c for c in STUFF if c.name in params.stuff)
                                                + tuple(c for c in THINGS if c.name in params.things))
        self.class_names = tuple(c.name for c in self.classes)
        self.shapes = tuple(c.name for c in self.classes if c.isthing)
        self._stuff_ids = {c.name: i for i, c in enumerate(self.classes) if not c.isthing}
        self._thing_ids = np.array([i for i, c in enumerate(self.classes) if c.isthing], np.int64)
        self._base_colour = np.array([c.colour for c in self.classes], np.float32)
        self._isthing = np.array([c.isthing for c in self.classes])

    def __len__(self) -> int:
        return self.params.length

    @classmethod
    def describe(cls, params) -> DataInfo:
        """The world is generated, so building it reads no file: `ganforge params` needs no data."""
        return cls(params).info()

    def info(self) -> DataInfo:
        table = field_table()
        return DataInfo(
            fields=frozenset(f for f in self.params.fields if f in table), image_channels=3,
            resolution=self.params.resolution, label_nc=len(self.classes), num_domains=self.params.num_domains,
            num_classes=len(self.shapes), contain_dontcare_label=False,
        )

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self):
            raise IndexError(f"synthetic world index {index} outside [0, {len(self)})")
        return self.render(index)

    def segments_info(self, panoptic: torch.Tensor) -> list[dict]:
        """COCO ``segments_info`` of a sample's panoptic map; ``category_id`` is label + 1
        (the ``R`` of the PNG colour), so category ids start at 1 as in COCO."""
        return segments_info(panoptic.numpy(), lambda seg: seg % PANOPTIC_INSTANCE_STRIDE,
                             lambda cat: self.classes[cat - 1].isthing)

    # -- generation -------------------------------------------------------------------
    def streams(self, index: int) -> dict[str, np.random.Generator]:
        """The independent random streams of sample ``index``."""
        seqs = np.random.SeedSequence([self.params.seed, index]).spawn(len(_STREAMS))
        return {name: np.random.Generator(np.random.PCG64(s)) for name, s in zip(_STREAMS, seqs)}

    def scene(self, index: int, rng: np.random.Generator | None = None) -> Scene:
        """The 3D scene of sample ``index`` (``rng``: its layout stream, if already made)."""
        p = self.params
        h, w = p.resolution
        rng = self.streams(index)["layout"] if rng is None else rng
        return sample_scene(rng, self.shapes, p.min_objects, p.max_objects, aspect=w / h,
                            lake="water" in self._stuff_ids, mountains="mountain" in self._stuff_ids)

    def style(self, rng: np.random.Generator) -> np.ndarray:
        """(K, 8) per-class colour and texture of one sample (columns: `STYLE_PARAMS`)."""
        k = len(self.classes)
        jitter = np.where(self._isthing[:, None], 0.5 * self._base_colour + 0.5 * rng.uniform(0.1, 0.95, (k, 3)),
                          self._base_colour + rng.uniform(-0.12, 0.12, (k, 3)))
        stripe_freq = np.where(self._isthing, rng.uniform(0.8, 3.0, k), rng.uniform(0.2, 1.2, k))
        noise_freq = np.where(self._isthing, rng.uniform(1.0, 4.0, k), rng.uniform(0.3, 2.0, k))
        cols = [np.clip(jitter, 0.02, 0.98), stripe_freq[:, None], rng.uniform(0, 180, (k, 1)),
                rng.uniform(0, 0.25, (k, 1)), noise_freq[:, None], rng.uniform(0, 0.25, (k, 1))]
        return np.concatenate(cols, 1).astype(np.float32)

    def render(self, index: int, domain: int | None = None) -> dict:
        """Sample ``index``; ``domain`` overrides the drawn global look (layout and
        region styles stay the same, only the domain colour transform changes)."""
        p = self.params
        h, w = p.resolution
        rng = self.streams(index)
        scene = self.scene(index, rng["layout"])
        layout = render_layout(scene, h, w, self._stuff_ids, self._thing_ids, self.shapes)
        style = self.style(rng["style"])
        drawn = int(rng["domain"].integers(0, p.num_domains))
        if domain is None:
            domain = drawn if p.domain is None else p.domain
        elif not 0 <= domain < p.num_domains:
            raise ValueError(f"domain {domain} outside [0, {p.num_domains}) (num_domains)")
        rgb = apply_domain(shade(layout, style, int(rng["style"].integers(0, 2 ** 20))), DOMAINS[domain])
        out = {"image": torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1))) * 2 - 1}
        out.update(self._modalities(scene, layout, style, domain, rng))
        return out

    def _modalities(self, scene: Scene, layout: Layout, style: np.ndarray, domain: int,
                    rng: dict[str, np.random.Generator]) -> dict:
        """Every requested field besides the image, all derived from the same render."""
        p = self.params
        want = set(p.fields)
        out = {}
        label, instance = torch.from_numpy(layout.label), torch.from_numpy(layout.instance)
        if "label" in want:
            out["label"] = label
        if "instance" in want:
            out["instance"] = instance
        if "panoptic" in want:
            out["panoptic"] = torch.from_numpy(panoptic_ids(layout.label, layout.instance))
        if "boxes" in want:
            out["boxes"] = torch.from_numpy(boxes_from_instances(layout.label, layout.instance, p.max_boxes))
        if want & {"edge", "sketch"}:
            instance_edge = boundary_map(instance)
        if "edge" in want:
            out["edge"] = torch.maximum(boundary_map(label), instance_edge)
        if "sketch" in want:
            outline = (instance_edge[0] > 0).numpy() & (layout.instance > 0)
            out["sketch"] = torch.from_numpy(sketch_strokes(outline, rng["sketch"])[None].astype(np.float32))
        if "domain" in want:
            out["domain"] = torch.tensor(domain)
        if "class_label" in want:
            out.update(self._class_label(layout, scene, rng["labelled"]))
        if "region_style_params" in want:
            out["region_style_params"] = torch.from_numpy(style)
            out["region_present"] = torch.from_numpy(np.bincount(layout.label.ravel(), minlength=len(style)) > 0)
        if "scene" in want:
            out["scene"] = self._scene_tensors(scene, layout)
        return out

    def _class_label(self, layout: Layout, scene: Scene, rng: np.random.Generator) -> dict:
        areas = np.bincount(layout.instance.ravel(), minlength=len(scene.category) + 1)[1:]
        main = int(np.argmax(areas[layout.instance_of - 1] * (layout.instance_of > 0)))
        category = int(scene.category[main])
        labelled = bool(rng.uniform() < self.params.labelled_fraction)
        return {"class_label": torch.tensor(category if labelled else -1), "labelled": torch.tensor(labelled),
                "true_class_label": torch.tensor(category)}

    def _scene_tensors(self, scene: Scene, layout: Layout) -> dict:
        """Fixed-shape tensors (objects padded to max_objects, category -1) so batches collate."""
        m, n = self.params.max_objects, len(scene.category)

        def pad(x: np.ndarray, fill: float, dtype) -> torch.Tensor:
            out = np.full((m,) + x.shape[1:], fill, dtype)
            out[:n] = x
            return torch.from_numpy(out)

        f32 = np.float32
        return {
            "elevation": torch.tensor(scene.elevation, dtype=torch.float32),
            "azimuth": torch.tensor(scene.azimuth, dtype=torch.float32),
            "fov": torch.tensor(scene.fov, dtype=torch.float32),
            "camera_height": torch.tensor(scene.height, dtype=torch.float32),
            "sun": torch.from_numpy(scene.sun),
            "lake": torch.from_numpy(scene.lake),
            "category": pad(scene.category, -1, np.int64),
            "position": pad(scene.position, 0, f32),
            "yaw": pad(scene.yaw, 0, f32),
            "roll": pad(scene.roll, 0, f32),
            "size": pad(scene.size, 0, f32),
            "instance_id": pad(layout.instance_of, 0, np.int64),
        }


__all__ = ["SyntheticWorld", "SyntheticParams", "MODALITIES", "STYLE_PARAMS"]

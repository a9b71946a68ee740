"""The scenes a paper's application works on: a sample of the run's dataset, or the user's files.

Every application command (SEAN's per-region style transfer, SMIS's class resampling,
CoCosNet's exemplar translation ...) takes its inputs as SCENE values: an integer is an
index into the run's dataset (built only when an index is used, so an imported official
checkpoint needs no dataset on disk), ``IMAGE:LABEL`` an image file and its label map
(class ids as pixel values, as ``ganforge sample --labels`` reads them), ``IMAGE:LABEL:INSTANCE``
adds an instance map for runs trained with one. Files are brought to the run's resolution
as the official test loaders do: the image bicubically, the maps with nearest neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import click
import numpy as np
import torch
from PIL import Image

from .condition import Condition
from .errors import ConfigError, DataError

SCENE_HELP = ("an index of the run's dataset, or IMAGE:LABEL[:INSTANCE] files of your own "
              "(label and instance ids as pixel values)")


@dataclass(frozen=True)
class Scene:
    """One input scene: ``index`` into the run's dataset, or ``image`` and ``label`` files
    (and ``instance``)."""

    index: int | None = None
    image: Path | None = None
    label: Path | None = None
    instance: Path | None = None

    def __str__(self) -> str:
        if self.index is not None:
            return str(self.index)
        return ":".join(str(p) for p in (self.image, self.label, self.instance) if p is not None)


def parse_scene(text: str) -> Scene:
    """``'5'`` -> dataset sample 5; ``'photo.jpg:labels.png[:instances.png]'`` -> files."""
    text = str(text).strip()
    if text.lstrip("-").isdigit():
        return Scene(index=int(text))
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(parts):
        raise ConfigError(f"scene {text!r}: expected a dataset index or IMAGE:LABEL[:INSTANCE] files")
    paths = [Path(p) for p in parts]
    for p in paths:
        if not p.is_file():
            raise DataError(f"{p}: file does not exist (scene {text!r})")
    return Scene(image=paths[0], label=paths[1], instance=paths[2] if len(paths) == 3 else None)


class SceneType(click.ParamType):
    """A click option value that is a `Scene` (errors name the option)."""

    name = "SCENE"

    def convert(self, value: Any, param: Any, ctx: Any) -> Scene:
        if isinstance(value, Scene):
            return value
        try:
            return parse_scene(value)
        except (ConfigError, DataError) as exc:
            self.fail(str(exc), param, ctx)


SCENE = SceneType()


def load_scenes(scenes: Sequence[Scene], info, dataset: Callable[[], Any]) -> tuple[torch.Tensor, Condition]:
    """(B, 3, H, W) images in [-1, 1] and their Condition (the run's data fields: label,
    instance ...) for ``scenes``; ``dataset()`` gives the run's dataset when an index is used."""
    if not scenes:
        raise ConfigError("no scenes given")
    pairs = [_from_dataset(s.index, dataset()) if s.index is not None else _from_files(s, info) for s in scenes]
    fields = set(pairs[0][1])
    if any(set(c) != fields for _, c in pairs):
        raise ConfigError(f"scenes {', '.join(map(str, scenes))} give different condition fields: "
                          f"{[sorted(c) for _, c in pairs]}")
    return torch.cat([p[0] for p in pairs]), Condition({k: torch.cat([c[k] for _, c in pairs]) for k in fields})


def _from_dataset(index: int, dataset) -> tuple[torch.Tensor, Condition]:
    if not 0 <= index < len(dataset):
        raise ConfigError(f"sample index {index} outside [0, {len(dataset)}) of the run's dataset")
    sample = dataset[index]
    fields = dataset.info().fields
    cond = Condition({k: sample[k][None] for k in fields if isinstance(sample.get(k), torch.Tensor)})
    return sample["image"][None], cond


def _from_files(scene: Scene, info) -> tuple[torch.Tensor, Condition]:
    from .data.io import read_rgb
    from .data.transforms import Spatial, apply_image

    if scene.instance is not None and "instance" not in info.fields:
        raise ConfigError(f"scene {scene}: this run was trained without instance maps; give IMAGE:LABEL")
    h, w = info.resolution
    image = apply_image(read_rgb(scene.image), Spatial((w, h), (0, 0, w, h), False))[None]
    cond = labels_condition([str(scene.label)], info, [str(scene.instance)] if scene.instance else ())
    return image, cond


def labels_condition(files: Sequence[str], info, instance_files: Sequence[str] = ()) -> Condition:
    """Label maps from PNG files (pixel value = class id), resized (nearest) to the run's
    resolution; ids outside [0, label_nc) are an error naming the file. When the run's
    data has instance maps, ``instance_files`` gives one per label map (ids as pixel
    values, 16-bit PNGs too); without them each label map stands in, so instance
    boundaries fall on class boundaries."""
    labels = torch.stack([_id_map(f, "label map", info) for f in files])
    ids = info.label_nc + int(info.contain_dontcare_label)  # the don't-care id is a label channel too
    dontcare = " + the don't-care id" if info.contain_dontcare_label else ""
    for f, lab in zip(files, labels):
        if info.label_nc and int(lab.max()) >= ids:
            raise DataError(f"{f}: label id {int(lab.max())} >= {ids} (label_nc {info.label_nc}{dontcare})")
    if "instance" not in info.fields:
        if instance_files:
            raise ConfigError("--instances: this run was trained without instance maps")
        return Condition(label=labels)
    if not instance_files:
        return Condition(label=labels, instance=labels.clone())
    if len(instance_files) != len(files):
        raise ConfigError(f"--instances: {len(instance_files)} files for {len(files)} --labels files; "
                          "give one instance map per label map, in the same order")
    return Condition(label=labels, instance=torch.stack([_id_map(f, "instance map", info) for f in instance_files]))


def _id_map(path: str, what: str, info) -> torch.Tensor:
    """One PNG of ids (one channel) as a long (H, W) map at the run's resolution (nearest)."""
    try:
        with Image.open(path) as im:
            arr = np.array(im)
    except OSError as exc:
        raise DataError(f"{path}: cannot read {what}: {exc}") from None
    if arr.ndim != 2:
        raise DataError(f"{path}: a {what} has one channel of ids, got shape {arr.shape}")
    ids = torch.from_numpy(arr.astype(np.int64))
    return torch.nn.functional.interpolate(ids[None, None].float(), size=tuple(info.resolution),
                                           mode="nearest")[0, 0].long()

"""The scenes the backbones learn from and are scored on, rendered once into tensors.

Training and held-out scenes come from two world seeds that no shipped config uses
(configs train on seed 0), so a backbone never saw the images it later scores. Every
look (all four domains) and every class is enabled: a run on fewer looks or shapes is
still inside what the feature network knows (the segmenter's ids are the full class
table's, so it scores runs with every class enabled).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ganforge.data.synthetic import DOMAINS, STUFF, THINGS, SyntheticParams, SyntheticWorld
from ganforge.metrics.images import to_uint8

from .networks import HEADS


#: label ids of the world with every class enabled (what the segmenter predicts)
CLASS_NAMES = tuple(c.name for c in STUFF + THINGS)


def world_params(resolution: int, seed: int, length: int) -> SyntheticParams:
    """The world the backbones are trained on: every class and every look, 1-6 objects."""
    return SyntheticParams(resolution=resolution, seed=seed, length=length, num_domains=len(DOMAINS),
                           fields=("label", "instance", "domain", "class_label"))


@dataclass
class Scenes:
    """``n`` rendered scenes: images as uint8 (the 8-bit rounding the backbones' input
    convention applies), the label map and the targets of the feature network's heads."""

    image: torch.Tensor  # (n, 3, H, W) uint8
    label: torch.Tensor  # (n, H, W) long
    domain: torch.Tensor  # (n,) long
    shape: torch.Tensor  # (n,) long: category of the largest visible object
    count: torch.Tensor  # (n,) long: visible objects - 1 (distinct instance ids)
    presence: torch.Tensor  # (n, num_classes) float {0, 1}: classes with at least one pixel

    def __len__(self) -> int:
        return len(self.label)

    def targets(self, index: torch.Tensor) -> dict[str, torch.Tensor]:
        return {name: getattr(self, name)[index] for name in HEADS}


def render_scenes(resolution: int, seed: int, n: int) -> Scenes:
    """Scenes ``0 .. n-1`` of the world with ``seed`` (each a pure function of (seed, i))."""
    world = SyntheticWorld(world_params(resolution, seed, n))
    samples = [world[i] for i in range(n)]
    label = torch.stack([s["label"] for s in samples])
    instance = torch.stack([s["instance"] for s in samples])
    count = torch.tensor([len(torch.unique(i[i > 0])) for i in instance]) - 1
    k = len(world.classes)
    presence = torch.stack([torch.bincount(lab.flatten(), minlength=k) > 0 for lab in label]).float()
    return Scenes(image=to_uint8(torch.stack([s["image"] for s in samples])), label=label,
                  domain=torch.stack([s["domain"] for s in samples]),
                  shape=torch.stack([s["true_class_label"] for s in samples]),
                  count=count.clamp(0, HEADS["count"] - 1), presence=presence)


def flip(images: torch.Tensor, labels: torch.Tensor | None, mask: torch.Tensor):
    """Mirror the ``mask``-ed samples left-right: the world has no handedness (shapes,
    ridge and lake are all symmetric in distribution), so this doubles the scenes."""
    images = torch.where(mask.view(-1, 1, 1, 1), images.flip(-1), images)
    if labels is not None:
        labels = torch.where(mask.view(-1, 1, 1), labels.flip(-1), labels)
    return images, labels


__all__ = ["Scenes", "render_scenes", "world_params", "CLASS_NAMES", "flip"]

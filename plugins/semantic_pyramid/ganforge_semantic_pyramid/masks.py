"""The per-level masks M_l (paper Sec. 3.2) as one Condition field, ``pyramid_mask``.

``pyramid_mask`` is (B, L, H, W) at image resolution, one plane per pyramid level (shallow
to deep); a conv level reads its plane resized (nearest) to its own resolution, an fc level
(which has no spatial extent) reads the plane's spatial mean as a gate in [0, 1].

Training masks (our reading of the paper, which gives no exact distribution): each sample
picks one level l uniformly; M_l = 1 everywhere, every other level is off. With
probability ``crop_prob`` and a conv level l > conv1, the shallower conv levels are also
fed inside a random rectangle, which teaches the generator to merge fine features in a
region with coarse ones everywhere: what inpainting and compositing ask of it.
"""

from __future__ import annotations

import torch

from .classifier import CONV_LEVELS, LEVELS


def level_index(level: str | int) -> int:
    """A level by name (``conv4``, ``fc7``) or index into `LEVELS`; a bad one is a ValueError."""
    if isinstance(level, int) and 0 <= level < len(LEVELS):
        return level
    if isinstance(level, str) and level in LEVELS:
        return LEVELS.index(level)
    raise ValueError(f"unknown semantic pyramid level {level!r}; levels are {', '.join(LEVELS)} (or 0..6)")


def single_level(level: str | int, batch: int, size: tuple[int, int], device=None) -> torch.Tensor:
    """Masks feeding one whole level and nothing else: "generate from level l"."""
    mask = torch.zeros(batch, len(LEVELS), *size, device=device)
    mask[:, level_index(level)] = 1
    return mask


def random_rectangles(batch: int, size: tuple[int, int], generator: torch.Generator | None = None,
                      device=None) -> torch.Tensor:
    """(B, H, W) masks of one axis-aligned rectangle each, sides in [1/4, 3/4] of the image."""
    h, w = size
    out = torch.zeros(batch, h, w, device=device)
    for b in range(batch):
        rh = int(torch.randint(max(1, h // 4), max(2, 3 * h // 4 + 1), (1,), generator=generator))
        rw = int(torch.randint(max(1, w // 4), max(2, 3 * w // 4 + 1), (1,), generator=generator))
        y = int(torch.randint(0, h - rh + 1, (1,), generator=generator))
        x = int(torch.randint(0, w - rw + 1, (1,), generator=generator))
        out[b, y:y + rh, x:x + rw] = 1
    return out


def sample_training_masks(batch: int, size: tuple[int, int], crop_prob: float,
                          generator: torch.Generator | None = None, device=None) -> torch.Tensor:
    """(B, L, H, W) training masks: one random level, plus a random crop of shallower conv levels."""
    levels = torch.randint(0, len(LEVELS), (batch,), generator=generator)
    mask = torch.zeros(batch, len(LEVELS), *size, device=device)
    mask[torch.arange(batch), levels] = 1
    crop = torch.rand(batch, generator=generator) < crop_prob
    rects = random_rectangles(batch, size, generator, device)
    for b in range(batch):
        level = int(levels[b])
        if crop[b] and 0 < level < CONV_LEVELS:
            mask[b, :level] = rects[b]
    return mask


def level_masks(mask: torch.Tensor, shapes: list[torch.Size]) -> list[torch.Tensor]:
    """Each level's mask at its features' shape: (B, 1, h, w) for conv levels (nearest),
    (B, 1) gates (the plane's mean) for fc levels."""
    if mask.dim() != 4 or mask.shape[1] != len(shapes):
        raise ValueError(f"condition field 'pyramid_mask' must be (B, {len(shapes)}, H, W), one plane per level "
                         f"({', '.join(LEVELS)}); got {tuple(mask.shape)}")
    out = []
    for plane, shape in zip(mask.unbind(1), shapes):
        plane = plane.unsqueeze(1).float()
        if len(shape) == 4:
            out.append(torch.nn.functional.interpolate(plane, size=tuple(shape[-2:]), mode="nearest"))
        else:
            out.append(plane.mean((2, 3)))
    return out

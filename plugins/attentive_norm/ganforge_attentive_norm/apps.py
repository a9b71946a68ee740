"""The paper's applications as functions of a trained generator (the CLI wraps them):
class-conditional sampling, inpainting of an image with a mask, and pictures of the soft
semantic layouts AN learned (as the paper shows them: one attention map per entity)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganforge import Condition

from .norm import learned_layouts

# A fixed palette for the arg-max layout picture (entities cycle through it).
PALETTE = torch.tensor([[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
                        [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212],
                        [0, 128, 128], [220, 190, 255], [170, 110, 40], [255, 250, 200], [128, 0, 0],
                        [170, 255, 195]], dtype=torch.float32) / 127.5 - 1


@torch.no_grad()
def sample_classes(generator: torch.nn.Module, field: str, classes: list[int], per_class: int, z_dim: int,
                   seed: int = 0) -> torch.Tensor:
    """(len(classes) * per_class, C, H, W): row i holds ``per_class`` samples of classes[i];
    column j uses the same z in every row, so rows differ only by the class."""
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(per_class, z_dim, generator=gen).repeat(len(classes), 1)
    y = torch.tensor(classes).repeat_interleave(per_class)
    return generator(Condition({field: y, "z": z}))


@torch.no_grad()
def inpaint(generator: torch.nn.Module, image: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(incomplete, completed) for images in [-1, 1] and masks with 1 = hole."""
    incomplete = image * (1 - mask)
    fine = generator(Condition(mask=mask, masked_image=incomplete))
    return incomplete, fine * mask + image * (1 - mask)


def layout_pictures(image: torch.Tensor, layout: torch.Tensor, entities: int) -> torch.Tensor:
    """Per sample: the image, its arg-max layout in colours, then the first ``entities``
    attention maps (brighter = more of that entity), all at the image's size; in [-1, 1]."""
    size = tuple(image.shape[-2:])
    s = F.interpolate(layout.float(), size=size, mode="bilinear", align_corners=False)
    hard = PALETTE[s.argmax(1) % len(PALETTE)].permute(0, 3, 1, 2)
    maps = s[:, :entities]
    lo, hi = maps.amin((2, 3), keepdim=True), maps.amax((2, 3), keepdim=True)
    maps = ((maps - lo) / (hi - lo).clamp_min(1e-8) * 2 - 1)[:, :, None].expand(-1, -1, 3, -1, -1)
    rows = [torch.cat([image[i:i + 1].float(), hard[i:i + 1], maps[i]]) for i in range(image.shape[0])]
    return torch.cat(rows)


def last_layout(generator: torch.nn.Module, which: int = -1) -> torch.Tensor:
    """The layout of one AN layer (default: the last) from the generator's latest forward."""
    layouts = learned_layouts(generator)
    if not layouts:
        raise ValueError("the generator has no Attentive Normalization layer (or has not run yet)")
    return layouts[which]

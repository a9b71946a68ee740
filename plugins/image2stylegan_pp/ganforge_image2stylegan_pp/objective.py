"""The embedding objective of Eq. 1: masked pixel MSE, masked perceptual and masked style
terms towards one or more target images.

Each `Target` is an image and the region (a mask) in which the generated image should
follow it; crossover, inpainting, scribble edits and local style transfer are all the same
objective with different targets and masks (Sec. 4-5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from .losses import PerceptualLoss, StyleLoss

Stage = Literal["w", "noise"]


@dataclass
class Target:
    """``image`` (B, C, H, W) in [-1, 1]; ``mask`` (B or 1, 1, H, W) in [0, 1], None = everywhere.
    ``mse`` / ``perceptual`` / ``style`` are the lambdas of the terms towards this image."""

    image: torch.Tensor
    mask: torch.Tensor | None = None
    mse: float = 1.0
    perceptual: float = 1.0
    style: float = 0.0


def masked_mse(fake: torch.Tensor, real: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """1/N ||M * (fake - real)||^2 with N all pixels, as the paper normalises (not by the mask's area)."""
    diff = fake - real if mask is None else mask * (fake - real)
    return diff.pow(2).mean()


class Objective(nn.Module):
    """``forward(image, stage) -> {"total", "mse", "perceptual", "style"}``.

    In the noise stage only the pixel terms count unless ``noise_perceptual``: the noise
    inputs are per-pixel degrees of freedom that the paper optimises to restore the high
    frequencies the MSE sees, not to match VGG features."""

    def __init__(self, targets: list[Target], perceptual: PerceptualLoss | None = None,
                 style: StyleLoss | None = None, noise_perceptual: bool = False):
        super().__init__()
        if not targets:
            raise ValueError("Image2StyleGAN++ objective: no targets")
        if any(t.perceptual for t in targets) and perceptual is None:
            raise ValueError("Image2StyleGAN++ objective: a target has a perceptual weight but no perceptual loss given")
        if any(t.style for t in targets) and style is None:
            raise ValueError("Image2StyleGAN++ objective: a target has a style weight but no style loss given")
        shapes = {tuple(t.image.shape) for t in targets}
        if len(shapes) != 1:
            raise ValueError(f"Image2StyleGAN++ objective: targets of different shapes {sorted(shapes)}")
        self.targets, self.perceptual, self.style = targets, perceptual, style
        self.noise_perceptual = noise_perceptual

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.targets[0].image.shape)

    def pixel_support(self) -> torch.Tensor | None:
        """Where some pixel (MSE) term sees the image: the union of those targets' masks,
        (B or 1, 1, H, W) in [0, 1]; None when one of them covers the whole image (or none has one)."""
        masks = [t.mask for t in self.targets if t.mse]
        if not masks or any(m is None for m in masks):
            return None
        union = masks[0]
        for m in masks[1:]:
            union = union + m
        return union.clamp(0, 1)

    def forward(self, image: torch.Tensor, stage: Stage) -> dict[str, torch.Tensor]:
        zero = image.new_zeros(())
        terms = {"mse": zero, "perceptual": zero, "style": zero}
        features = stage == "w" or self.noise_perceptual
        for t in self.targets:
            if t.mse:
                terms["mse"] = terms["mse"] + t.mse * masked_mse(image, t.image, t.mask)
            if t.perceptual and features:
                terms["perceptual"] = terms["perceptual"] + t.perceptual * self.perceptual(image, t.image, t.mask)
            if t.style and features:
                terms["style"] = terms["style"] + t.style * self.style(image, t.image, t.mask)
        return {"total": terms["mse"] + terms["perceptual"] + terms["style"], **terms}

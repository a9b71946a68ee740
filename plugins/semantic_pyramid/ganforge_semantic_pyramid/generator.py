"""The Semantic Pyramid generator (paper Sec. 3.1, Fig. 3): a mirror of the classifier.

Stage by stage, from fc8 down to conv1, the generator's own path h_l is summed with the
reference's classifier features C_l(x) masked by M_l and projected to the generator's
width (a linear layer for fc levels, a 1x1 convolution for conv levels):

    h_l <- h_l + P_l(M_l * C_l(x))

The fc part maps z through two dense layers (mirroring fc8 and fc7), reshapes to the
conv5 grid (1/32 of the image, where VGG16's last pool leaves it), and residual up-blocks
mirror conv5 ... conv1; a last up-sampling and a 3x3 convolution return the image.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field, field_validator
from torch import nn

import ganforge
from ganforge import ComponentSpec, Condition, DataInfo

from .classifier import CONV_LEVELS
from .layers import GBlock, sn
from .masks import level_masks

STRIDE = 2 ** CONV_LEVELS  # conv5's features are at 1/32 of the image


class SemanticPyramidGeneratorParams(ganforge.Params):
    z_dim: int = Field(128, ge=1, description="width of the noise z (drawn per sample when the condition has none)")
    channels: tuple[int, int, int, int, int] = Field(
        (512, 512, 256, 128, 64), description="generator widths of the blocks mirroring conv5, conv4, conv3, conv2, "
                                              "conv1 (VGG16's own widths at those stages)")
    classifier: ComponentSpec = ganforge.slot("encoder", "vgg16_pyramid",
                                              "the frozen classifier C (VGG16 in the paper)")
    norm: ComponentSpec = ganforge.slot("normalizer", "semantic_pyramid_bn", "normalization inside each block")

    @field_validator("channels")
    @classmethod
    def _positive(cls, v):
        if min(v) < 1:
            raise ValueError("every generator width must be >= 1")
        return v


class SemanticPyramidGenerator(ganforge.Generator):
    """``forward(cond)``: reads ``exemplar`` (the reference x), ``pyramid_mask`` (M) and,
    when present, ``z``; returns G(z, C(x), M) in [-1, 1]."""

    Params: ClassVar = SemanticPyramidGeneratorParams
    requires = frozenset({"exemplar", "pyramid_mask"})

    def __init__(self, params: SemanticPyramidGeneratorParams, data: DataInfo):
        super().__init__(params, data)
        h, w = data.resolution
        if h % STRIDE or w % STRIDE:
            raise ganforge.ConfigError(f"generator 'semantic_pyramid': resolution {h}x{w} must be a multiple of "
                                       f"{STRIDE} (the classifier's five stride-2 stages)")
        self.grid = (h // STRIDE, w // STRIDE)
        self.classifier = ganforge.build("encoder", params.classifier, data, path="generator.classifier")
        if not hasattr(self.classifier, "pyramid"):
            raise ganforge.ConfigError("generator 'semantic_pyramid': generator.classifier must offer "
                                       "pyramid(image) and level_channels, as 'vgg16_pyramid' does")
        feats = self.classifier.level_channels  # conv1..conv5, fc7, fc8
        ch = params.channels
        # fc8 and fc7 mirrors: z -> |fc8| -> |fc7|, each summed with its projected features
        self.fc = nn.ModuleList([sn(nn.Linear(params.z_dim, feats[6])), sn(nn.Linear(feats[6], feats[5]))])
        self.fc_inject = nn.ModuleList([sn(nn.Linear(feats[6], feats[6])), sn(nn.Linear(feats[5], feats[5]))])
        self.expand = sn(nn.Linear(feats[5], ch[0] * self.grid[0] * self.grid[1]))
        # conv5 .. conv1 mirrors; every block but conv5's doubles the resolution
        self.blocks = nn.ModuleList(
            GBlock(ch[max(i - 1, 0)], ch[i], up=i > 0, norm=params.norm, data=data, path=f"generator.blocks.{i}")
            for i in range(CONV_LEVELS))
        self.conv_inject = nn.ModuleList(sn(nn.Conv2d(feats[CONV_LEVELS - 1 - i], ch[i], 1, bias=False))
                                         for i in range(CONV_LEVELS))
        self.to_rgb_norm = ganforge.build("normalizer", params.norm, data, num_features=ch[-1],
                                          path="generator.to_rgb_norm")
        self.to_rgb = sn(nn.Conv2d(ch[-1], data.image_channels, 3, padding=1))

    def features(self, cond: Condition) -> list[torch.Tensor]:
        """M_l * C_l(x) for every level (the classifier is frozen: no gradient into it)."""
        with torch.no_grad():
            levels = self.classifier.pyramid(cond["exemplar"])
        masks = level_masks(cond["pyramid_mask"].to(levels[0].dtype), [f.shape for f in levels])
        return [f * m for f, m in zip(levels, masks)]

    def forward(self, cond: Condition) -> torch.Tensor:
        return self.synthesize(self.features(cond), cond)

    def synthesize(self, fed: list[torch.Tensor], cond: Condition) -> torch.Tensor:
        """The image from already masked features (re-labelling edits fc8 before this)."""
        b = fed[0].shape[0]
        z = cond["z"] if "z" in cond else torch.randn(b, self.params.z_dim, device=fed[0].device)
        if z.shape[-1] != self.params.z_dim:
            raise ValueError(f"generator 'semantic_pyramid': z has width {z.shape[-1]}, expected z_dim "
                             f"{self.params.z_dim}")
        h = z.to(fed[0].dtype)
        for dense, inject, level in zip(self.fc, self.fc_inject, (6, 5)):
            h = F.leaky_relu(dense(h), 0.2) + inject(fed[level])
        h = self.expand(h).view(b, -1, *self.grid)
        for i, (block, inject) in enumerate(zip(self.blocks, self.conv_inject)):
            h = block(h, cond) + inject(fed[CONV_LEVELS - 1 - i])
        h = F.interpolate(F.relu(self.to_rgb_norm(h, cond)), scale_factor=2, mode="nearest")
        return torch.tanh(self.to_rgb(h))

"""BachGAN's discriminator: pix2pixHD's multi-scale PatchGAN of ``ganforge_spade``
conditioned on the box layout S instead of a segmentation map (the official model
concatenates its input semantics, the box layout, with the image). The layout is
multi-hot (boxes overlap), not one-hot, so SPADE's one-hot lookup for the first conv
does not apply: its params have no ``lookup``."""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
from pydantic import Field

from ganforge import Condition, DataInfo, DiscriminatorOutput
from ganforge_spade import semantic
from ganforge_spade.discriminator import MultiscalePatchDiscriminator, PatchParams

from .layout import box_layout


class BoxPatchParams(PatchParams):
    use_instance: Literal[False] = Field(False, description="boxes have no instance edges")


class BoxPatchDiscriminator(MultiscalePatchDiscriminator):
    """Multi-scale PatchGAN on image + box layout (label_nc [+ don't care] channels)."""

    Params: ClassVar = BoxPatchParams
    requires = frozenset({"boxes"})

    @classmethod
    def requirements(cls, params: BoxPatchParams, data: DataInfo) -> frozenset[str]:
        return cls.requires

    def forward(self, image: torch.Tensor, cond: Condition) -> DiscriminatorOutput:
        k = semantic.semantic_nc(self.data, False)
        layout = box_layout(cond["boxes"], k, tuple(image.shape[-2:]), where="discriminator 'bachgan_patch'")
        return self.score(torch.cat([layout.to(image.dtype), image], dim=1))  # official order: semantics, image

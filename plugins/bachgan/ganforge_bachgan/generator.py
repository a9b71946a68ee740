"""The BachGAN generator (Li et al. 2020, Sec. 3 and Fig. 2): background fusion in front
of the SPADE generator.

From the boxes and the m retrieved candidate maps it builds the box layout S and the
candidates with the boxes pasted in (`layout`), fuses them into the soft layout F
(`fusion`), and runs SPADE's generator (``ganforge_spade``: the downsampled F through a
3x3 conv as the start, SPADE residual blocks with nearest upsampling) with F as the
semantic input of every block. The blocks' normalization is a slot: the default
``fused_spade`` reads F itself, as the official network does; label-reading normalizers
(``spade``, ``sean``) get the arg-max of F, the hallucinated segmentation map. The
dataset's own label map is never read: at test time only boxes exist.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field

import ganforge
from ganforge import ComponentSpec, Condition, DataInfo
from ganforge_spade import semantic
from ganforge_spade.generator import SPADEGenerator, SPADEGeneratorParams

from .fusion import BackgroundFusion
from .layout import box_layout, paste_boxes, thing_mask


class BachGANGeneratorParams(SPADEGeneratorParams):
    norm: ComponentSpec = ganforge.slot("normalizer", "fused_spade",
                                        "normalization inside every residual block (reads the fused layout)")
    num_retrieved: int = Field(3, ge=1, description="m: retrieved candidates fused per sample (official: 3)")
    things: tuple[int, ...] | None = Field(
        None, description="label ids of the foreground classes the boxes carry; they are cleared from the "
                          "candidates (Cityscapes: 24..33); null: the classes of the batch's boxes")
    use_vae: Literal[False] = Field(False, description="BachGAN is deterministic: the fused layout is the start")
    use_instance: Literal[False] = Field(False, description="boxes have no instance edges")


class BachGANGenerator(SPADEGenerator):
    """SPADE generator fed with the fusion of the box layout and retrieved background layouts."""

    Params: ClassVar = BachGANGeneratorParams
    requires = frozenset({"boxes", "retrieved"})

    def __init__(self, params: BachGANGeneratorParams, data: DataInfo):
        super().__init__(params, data)
        self.num_labels = semantic.semantic_nc(data, False)
        bad = [k for k in params.things or () if not 0 <= k < self.num_labels]
        if bad:
            raise ganforge.ConfigError(f"generator 'bachgan': things {bad} outside [0, {self.num_labels})")
        self.fusion = BackgroundFusion(self.num_labels, params)

    @classmethod
    def requirements(cls, params: BachGANGeneratorParams, data: DataInfo) -> frozenset[str]:
        return cls.requires

    def fused_layout(self, cond: Condition) -> torch.Tensor:
        """F: (B, K, H, W), the fusion of the box layout with the retrieved candidates."""
        boxes, retrieved = cond["boxes"], cond["retrieved"]
        if retrieved.dim() != 4 or retrieved.shape[1] != self.params.num_retrieved:
            raise ganforge.DataError(
                f"generator 'bachgan': condition field 'retrieved' must be (B, {self.params.num_retrieved}, H, W) "
                f"(num_retrieved), got {tuple(retrieved.shape)}")
        size = tuple(self.data.resolution)
        dtype = self.conv_img.weight.dtype
        layout = box_layout(boxes, self.num_labels, size, where="generator 'bachgan'").to(dtype)
        things = thing_mask(self.params.things, boxes, self.num_labels)
        candidates = paste_boxes(Condition(retrieved=retrieved).resized(size)["retrieved"], layout, things)
        return self.fusion(layout, candidates)

    def initial(self, cond: Condition) -> torch.Tensor:
        """The head's input: F downsampled (nearest) to the start size through the 3x3 conv."""
        return self.fc(F.interpolate(cond["layout"], size=self.start_size, mode="nearest"))

    def forward(self, cond: Condition) -> torch.Tensor:
        fused = self.fused_layout(cond)
        return super().forward(cond.replace(layout=fused, label=fused.argmax(1)))

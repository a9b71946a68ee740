"""HiDT's AdaIN (the decoder's ``res_norm: adain``), as a normalizer any generator can use.

Officially one MLP maps the 3-d style code to *all* AdaIN parameters of the decoder at
once (MUNIT's ``adain_net``). Here the MLP's hidden trunk lives in the generator, which
hands its 64-d output to the normalizers as ``cond["style"]``, and each `HiDTAdaIN`
holds its own slice of the last linear layer. The parameter count, the function and the
released weights (split row-wise by `ganforge_hidt.convert`) are the same, and the
decoder's normalizer becomes a slot: another paper's style-driven normalizer drops in.

    AdaIN(x, s) = gamma(s) * IN(x) + beta(s)      (no "1 +": the official form)
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo

from .layers import kaiming_init


class HiDTAdaINParams(ganforge.Params):
    style_dim: int = Field(64, ge=1, description="width of cond['style'] it reads: in HiDT's decoder the MLP "
                           "feature of the style code (adain_net dim 64)")
    eps: float = Field(1e-5, gt=0, description="instance-norm epsilon")


class HiDTAdaIN(ganforge.Normalizer):
    """AdaIN with gamma and beta from one linear layer of cond['style'] (HiDT's, no '1 +')."""

    Params: ClassVar = HiDTAdaINParams
    requires = frozenset({"style"})

    def __init__(self, params: HiDTAdaINParams, data: DataInfo, num_features: int):
        super().__init__(params, data, num_features)
        # rows [0, C) give beta (the official "mean"), rows [C, 2C) gamma ("std")
        self.fc = nn.Linear(params.style_dim, 2 * num_features)
        kaiming_init(self.fc)

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        style = cond["style"].to(x.dtype)
        if style.dim() != 2 or style.shape[1] != self.params.style_dim:
            raise ValueError(f"normalizer 'hidt_adain' was built for cond['style'] of shape (B, "
                             f"{self.params.style_dim}) but got {tuple(style.shape)}")
        beta, gamma = self.fc(style)[:, :, None, None].chunk(2, dim=1)
        return gamma * F.instance_norm(x, eps=self.params.eps) + beta

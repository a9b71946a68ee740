"""The multi-task discriminator D (paper Sec. 2, appendix Table 7): one real/fake output
per domain from the shared trunk; each image is judged only by the output of its own
(real) or target (fake) domain, D_y(x)."""

from __future__ import annotations

from typing import ClassVar

import torch

from ganforge import Condition, DataInfo, Discriminator, DiscriminatorOutput

from ganforge.reuse import SharedLayers

from .layers import conv, num_domains, select_domain
from .trunk import Trunk, TrunkParams


class MultiTaskDiscriminator(Discriminator):
    """StarGAN v2 multi-task discriminator: one real/fake logit per domain, selected by cond['domain']."""

    capabilities = frozenset({"multitask", "reuse"})

    Params: ClassVar = TrunkParams
    requires = frozenset({"domain"})

    def __init__(self, params: TrunkParams, data: DataInfo):
        super().__init__(params, data)
        name = "discriminator 'stargan_v2'"
        self.trunk = Trunk(params, data, name)
        self.to_logits = conv(self.trunk.out_dim, num_domains(data, name), 1)

    def reuse_layers(self) -> SharedLayers:
        """The trunk's ``from_rgb`` and residual blocks (each halving the size), for a
        generator to encode with (discriminator reuse; `ganforge.reuse`)."""
        return self.trunk.reuse_layers()

    def logits(self, image: torch.Tensor) -> torch.Tensor:
        """(B, num_domains): every domain's real/fake logit."""
        return self.to_logits(self.trunk(image)[:, :, None, None]).flatten(1)

    def forward(self, image: torch.Tensor, cond: Condition) -> DiscriminatorOutput:
        """scores = [D_y(x) (B,)] with y = cond['domain']."""
        return DiscriminatorOutput(scores=[select_domain(self.logits(image), cond["domain"], "discriminator 'stargan_v2'")])

"""The background fusion module (Li et al. 2020, Sec. 3.2), as the official generator
builds it (``encode_shared`` / ``memory_shared`` of ``SPADEGenerator`` with
``--retrival_memory``).

The box layout S and the m retrieved candidates L_1..L_m (boxes pasted in, `layout`)
go through one shared conv + ReLU each; the candidates' encodings are averaged into the
box layout's, refined by a second conv + ReLU, and added back to the box encoding:

    a_0 = f(S),  a_i = f(L_i)                 f = ReLU(conv3x3), shared
    F = g(a_0 + mean_i a_i) + a_0             g = ReLU(conv3x3)

F keeps one channel per class, so it is a soft semantic layout: the hallucinated
background where the boxes leave space, the boxes' objects inside them. The SPADE
generator is fed F in place of a segmentation map.
"""

from __future__ import annotations

import torch
from torch import nn

from ganforge_spade.layers import InitParams, conv2d


class BackgroundFusion(nn.Module):
    """F = g(f(S) + mean_i f(L_i)) + f(S), with shared 3x3 convs over the K class channels."""

    def __init__(self, channels: int, init: InitParams):
        super().__init__()
        self.encode_shared = nn.Sequential(conv2d(channels, channels, 3, padding=1, init=init), nn.ReLU())
        self.memory_shared = nn.Sequential(conv2d(channels, channels, 3, padding=1, init=init), nn.ReLU())

    def forward(self, layout: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
        """:param layout: (B, K, H, W) box layout S. :param candidates: (B, m, K, H, W).
        :returns: (B, K, H, W) fused layout F."""
        b, m = candidates.shape[:2]
        encoded = self.encode_shared(torch.cat([layout[:, None], candidates], 1).flatten(0, 1))
        encoded = encoded.unflatten(0, (b, m + 1))
        box = encoded[:, 0]
        return self.memory_shared(box + encoded[:, 1:].mean(1)) + box

"""The image classifier behind pseudo-labelling: strided convolutions, global average
pooling, a linear layer (one logit per class or domain)."""

from __future__ import annotations

import torch
from torch import nn


class Classifier(nn.Module):
    """``forward(image) -> (B, classes)`` logits; width doubles per downsampling, capped at 8x."""

    def __init__(self, channels: int, classes: int, width: int, downsamples: int):
        super().__init__()
        layers = [nn.Conv2d(channels, width, 3, 1, 1), nn.LeakyReLU(0.2)]
        dim = width
        for _ in range(downsamples):
            out = min(dim * 2, width * 8)
            layers += [nn.Conv2d(dim, out, 4, 2, 1), nn.LeakyReLU(0.2)]
            dim = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(dim, classes)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(image).mean((2, 3)))

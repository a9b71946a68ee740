"""Discriminator reuse: the part of the discriminator contract that lets a generator
encode with a discriminator's early layers (NICE-GAN, Chen et al. 2020, Sec. 3.2).

Two capabilities meet here (names in `ganforge.conditioning.CAPABILITIES`):

* ``reuse`` (a discriminator): ``reuse_layers() -> SharedLayers`` — its early layers, in
  the order its own ``forward`` runs them, each with the `Embedding` (channels, stride)
  after it, plus an optional ``prepare`` module that turns ``(image, cond)`` into the first
  layer's input (a conditional D concatenates its label map). The modules are the
  discriminator's own (shared parameters); ``reuse_layers`` builds only a view, so the
  discriminator's ``state_dict`` is unchanged.
* ``swappable_encoder`` (a generator): ``encoder_embedding() -> Embedding`` — what its own
  source-image encoder produces — and ``share_encoder(encoder: SharedEncoder)``, which
  drops those layers and encodes with ``encoder`` instead (keeping whatever follows, such
  as bottleneck blocks). A U-Net generator reads its skips from ``encoder.features``.

`shared_encoder(D, embedding)` cuts a discriminator's layers after the deepest one with
the generator's embedding, so any reuse-capable D pairs with any swappable generator
whose embedding it reaches. A strategy (NICE-GAN's ``discriminator_reuse``) does the
pairing; this module holds only the contract and the one wrapper.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .condition import Condition
from .errors import ConfigError


class Embedding(NamedTuple):
    """A feature map's channels and its stride (image side / feature side)."""

    channels: int
    stride: int

    def __str__(self) -> str:
        return f"{self.channels} channels at stride {self.stride}"


class SharedLayers(NamedTuple):
    """A reuse-capable discriminator's early layers: ``stages`` as (module, embedding after
    it), each module called on one tensor; ``prepare(image, cond)`` makes the first
    stage's input (None: the image itself)."""

    stages: Sequence[tuple[nn.Module, Embedding]]
    prepare: nn.Module | None = None


class SharedEncoder(nn.Module):
    """A prefix of a discriminator's early layers, used as a generator's encoder: the same
    modules (parameters shared with the discriminator). Each feature is the image size
    divided by its stride; a stage whose padding makes it larger (pix2pixHD's 4x4 convs
    with padding 2 add one row and column) is cut to that size, top-left, for the
    generator only (the next stage reads it whole, as in the discriminator)."""

    def __init__(self, stages: Sequence[tuple[nn.Module, Embedding]], prepare: nn.Module | None, owner: str):
        super().__init__()
        self.stages = nn.ModuleList(m for m, _ in stages)
        self.embeddings = tuple(e for _, e in stages)
        self.prepare = prepare
        self.owner = owner

    @property
    def embedding(self) -> Embedding:
        return self.embeddings[-1]

    def features(self, image: torch.Tensor, cond: Condition | None = None) -> list[torch.Tensor]:
        """Every stage's output, the embedding last."""
        if self.prepare is not None:
            if cond is None:
                raise ConfigError(f"{self.owner}'s shared layers read the condition, but this generator encodes "
                                  "without one; pair it with a discriminator whose early layers read the image only")
            x = self.prepare(image, cond)
        else:
            x = image
        h, w = image.shape[-2:]
        out = []
        for stage, e in zip(self.stages, self.embeddings):
            x = stage(x)
            out.append(x[..., :h // e.stride, :w // e.stride])  # pix2pixHD's pad 2 adds a row and a column
        return out

    def forward(self, image: torch.Tensor, cond: Condition | None = None) -> torch.Tensor:
        return self.features(image, cond)[-1]

    def at(self, features: list[torch.Tensor], stride: int) -> torch.Tensor:
        """The deepest feature at ``stride``; where the layers have none (a D whose first
        conv already halves the image), the finest coarser one, upsampled (nearest) to it."""
        for f, e in zip(reversed(features), reversed(self.embeddings)):
            if e.stride == stride:
                return f
        coarser = [(e.stride, f) for f, e in zip(features, self.embeddings) if e.stride > stride]
        if not coarser:
            raise ConfigError(f"{self.owner}'s shared layers have no feature at stride {stride} or coarser")
        s, f = min(coarser, key=lambda t: t[0])
        return F.interpolate(f, scale_factor=s // stride, mode="nearest")

    def min_channels(self, strides: Sequence[int]) -> int:
        """The fewest channels `at` returns over ``strides``."""
        def channels(stride: int) -> int:
            same = [e.channels for e in self.embeddings if e.stride == stride]
            if same:
                return same[-1]
            coarser = [e for e in self.embeddings if e.stride > stride]
            return min(coarser, key=lambda e: e.stride).channels if coarser else 0
        return min(channels(s) for s in strides)


def shared_encoder(discriminator: nn.Module, embedding: Embedding, who: str) -> SharedEncoder:
    """``discriminator``'s early layers up to the deepest stage producing ``embedding``;
    a `ConfigError` naming ``who`` and what the discriminator offers otherwise."""
    reuse_layers = getattr(discriminator, "reuse_layers", None)
    if not callable(reuse_layers):
        raise ConfigError(f"{who}: {type(discriminator).__name__} has no reuse_layers() (the 'reuse' capability)")
    layers = reuse_layers()
    stages = list(layers.stages)
    ends = [i for i, (_, e) in enumerate(stages) if e == embedding]
    if not ends:
        offered = "; ".join(dict.fromkeys(str(e) for _, e in stages))  # in layer order
        raise ConfigError(f"{who}: the generator's encoder produces {embedding}, but the discriminator's early "
                          f"layers offer {offered}; change the networks' widths or depths so one matches")
    return SharedEncoder(stages[:ends[-1] + 1], layers.prepare, who)


__all__ = ["Embedding", "SharedLayers", "SharedEncoder", "shared_encoder"]

"""GroupDNet's applications (Zhu et al. 2020, Sec. 4.4, Figs. 1, 7-9): what class-specific
codes make possible.

* `resample_class` — semantic-level multi-modality: draw new codes for one class while
  every other class keeps its code; only that class's region changes (Fig. 1).
* `mix_appearance` — appearance mixture: take the codes of some classes from another
  image (its encoding), keep the rest (Fig. 7).
* `manipulate` — semantic manipulation: edit the label map (`relabel`) and synthesise it
  with the same codes, so untouched regions keep their look (Fig. 8).
* `morph` — style morphing: interpolate the codes of some classes between two images (Fig. 9).
* `semantic_diversity` — the groups of outputs mCSD / mOCD score (Sec. 4.1).

Pure operations on code matrices (`swap_classes`, `interpolate_classes`) are separate from
those that run networks, so they can be checked exactly.
"""

from __future__ import annotations

from typing import Iterator, Sequence

import torch
from torch import nn

import ganforge
from ganforge import Condition


def _classes(classes: Sequence[int], num_classes: int) -> list[int]:
    out = [int(k) for k in classes]
    if not out or any(not 0 <= k < num_classes for k in out):
        raise ganforge.ConfigError(f"SMIS: classes must be ids in [0, {num_classes}), got {list(classes)}")
    return out


@torch.no_grad()
def encode(encoder: nn.Module, image: torch.Tensor, cond: Condition) -> torch.Tensor:
    """(B, K, D) codes of ``image``: the posterior means (deterministic, unlike a sample)."""
    return encoder(image, cond)["mu"]


def swap_classes(codes: torch.Tensor, other: torch.Tensor, classes: Sequence[int]) -> torch.Tensor:
    """``codes`` with the rows of ``classes`` taken from ``other`` (both (B, K, D))."""
    out = codes.clone()
    idx = _classes(classes, codes.shape[1])
    out[:, idx] = other[:, idx]
    return out


def interpolate_classes(codes: torch.Tensor, other: torch.Tensor, classes: Sequence[int] | None,
                        t: float) -> torch.Tensor:
    """(1 - t) codes + t other on the rows of ``classes`` (all classes if None)."""
    idx = list(range(codes.shape[1])) if classes is None else _classes(classes, codes.shape[1])
    out = codes.clone()
    out[:, idx] = torch.lerp(codes[:, idx], other[:, idx], t)
    return out


@torch.no_grad()
def resample_class(generator: nn.Module, cond: Condition, codes: torch.Tensor, k: int, n: int,
                   seed: int = 0) -> torch.Tensor:
    """(n, B, C, H, W): ``n`` images whose class-``k`` code is drawn anew, the others fixed."""
    (k,) = _classes([k], codes.shape[1])
    gen = torch.Generator().manual_seed(seed)
    frames = []
    for _ in range(n):
        fresh = torch.randn(codes.shape[0], codes.shape[2], generator=gen).to(codes)
        z = codes.clone()
        z[:, k] = fresh
        frames.append(generator(cond.replace(region_style=z)))
    return torch.stack(frames)


@torch.no_grad()
def mix_appearance(generator: nn.Module, cond: Condition, codes: torch.Tensor, other: torch.Tensor,
                   classes: Sequence[int]) -> torch.Tensor:
    """The image of ``cond`` whose ``classes`` look as in the image encoded as ``other``."""
    return generator(cond.replace(region_style=swap_classes(codes, other, classes)))


def relabel(cond: Condition, region: torch.Tensor, new_class: int) -> Condition:
    """``cond`` with the pixels of ``region`` (B, H, W) bool set to ``new_class``."""
    label = cond["label"].clone()
    label[region] = new_class
    return cond.replace(label=label)


@torch.no_grad()
def manipulate(generator: nn.Module, cond: Condition, codes: torch.Tensor, edited: Condition) -> torch.Tensor:
    """(2, B, C, H, W): the image of ``cond`` and of the ``edited`` layout with the same codes."""
    return torch.stack([generator(cond.replace(region_style=codes)), generator(edited.replace(region_style=codes))])


@torch.no_grad()
def morph(generator: nn.Module, cond: Condition, codes: torch.Tensor, other: torch.Tensor,
          classes: Sequence[int] | None, steps: int) -> torch.Tensor:
    """(steps, B, C, H, W): frames from ``codes`` to ``other`` on ``classes``, t = 0 ... 1."""
    ts = torch.linspace(0, 1, steps).tolist()
    return torch.stack([generator(cond.replace(region_style=interpolate_classes(codes, other, classes, t)))
                        for t in ts])


@torch.no_grad()
def semantic_diversity(generator: nn.Module, cond: Condition, num_classes: int, n: int,
                       seed: int = 0) -> Iterator[tuple[torch.Tensor, Condition]]:
    """For every class present in some label map of ``cond``: (fake (B', n, C, H, W), cond
    with ``mask`` (B', 1, H, W)) over the B' maps holding it — n outputs per map that differ
    only in that class's code, all other codes drawn once from the prior (official test)."""
    gen = torch.Generator().manual_seed(seed)
    masks = cond.onehot(num_classes)  # (B, K, H, W)
    base = generator.sample_codes(cond.batch_size, gen)
    for k in range(num_classes):
        rows = masks[:, k].flatten(1).any(1).nonzero().flatten()
        if rows.numel() == 0:
            continue
        sub = Condition({f: v[rows] for f, v in cond.items()})
        fake = resample_class(generator, sub, base[rows], k, n, seed=int(torch.randint(1 << 30, (1,), generator=gen)))
        yield fake.transpose(0, 1), sub.replace(mask=masks[rows, k : k + 1])

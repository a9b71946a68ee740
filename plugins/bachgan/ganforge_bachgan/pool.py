"""The candidate pool and the background retrieval module (Li et al. 2020, Sec. 3.1).

The pool holds the segmentation maps of a dataset (the official code: a random quarter or
half of the training set, at the training resolution). For a box layout S, every
candidate L is scored by the IoU between the boxes and L's pixels of the same classes,
summed over the classes that the boxes carry (the official ``retrival_seg_halfset.py``):

    IoU(S, L) = sum_c |S_c & L_c| / sum_c (|S_c| + |L_c| - |S_c & L_c|)

and the m best candidates are retrieved (m = 3 in the official code: it walks the 6 best
and skips the query's own map). The pool is indexed once when it is built: the label maps
as a compact integer tensor plus each candidate's pixel count per class (the |L_c| terms),
so that one retrieval is a single gather over the pool.

On disk the pool is one ``torch.save`` dict of tensors and primitives, written atomically
and read back with ``weights_only=True``; `CandidatePool.load` checks every entry.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Iterable

import torch

import ganforge
from ganforge import Condition
from ganforge.files import atomic_write

from .layout import box_layout

FORMAT = "ganforge-bachgan-pool"
VERSION = 1
KEYS = ("format", "version", "labels", "class_pixels", "digests", "num_labels", "source")


def digest(label: torch.Tensor) -> int:
    """A 63-bit content hash of one (H, W) label map: finds the query's own map in the pool."""
    data = label.to(torch.int16).contiguous().cpu().numpy().tobytes()
    return int.from_bytes(hashlib.sha1(data).digest()[:8], "little") >> 1


class CandidatePool:
    """Segmentation maps to retrieve backgrounds from, with their per-class pixel index.

    :param labels: (P, H, W) integer label ids in [0, num_labels).
    :param num_labels: K, the channels of the layouts (label_nc + the don't-care id, if any).
    :param source: where the maps came from (shown in errors and by the CLI).
    """

    def __init__(self, labels: torch.Tensor, num_labels: int, source: str = "memory",
                 digests: torch.Tensor | None = None):
        if labels.dim() != 3 or len(labels) == 0:
            raise ganforge.DataError(f"candidate pool from {source}: labels must be (P, H, W) with P >= 1, "
                                     f"got {tuple(labels.shape)}")
        if int(labels.min()) < 0 or int(labels.max()) >= num_labels:
            raise ganforge.DataError(f"candidate pool from {source}: label ids in [{int(labels.min())}, "
                                     f"{int(labels.max())}] outside [0, {num_labels})")
        dtype = torch.uint8 if num_labels <= 256 else torch.int16
        self.labels = labels.to(dtype)
        self.num_labels = num_labels
        self.source = source
        flat = self.labels.long().flatten(1)
        self.class_pixels = torch.zeros(len(flat), num_labels, dtype=torch.long).scatter_add_(
            1, flat, torch.ones_like(flat))
        self.digests = digests if digests is not None else torch.tensor([digest(m) for m in self.labels])

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def resolution(self) -> tuple[int, int]:
        return tuple(self.labels.shape[-2:])

    def to(self, device: torch.device | str) -> "CandidatePool":
        """The pool with its index on ``device`` (retrieval runs where the batch is)."""
        out = object.__new__(CandidatePool)
        out.__dict__.update(self.__dict__)
        out.labels, out.class_pixels = self.labels.to(device), self.class_pixels.to(device)
        out.digests = self.digests.to(device)
        return out

    # -- building, saving, loading -------------------------------------------------------
    @classmethod
    def from_samples(cls, samples: Iterable[dict[str, Any]], num_labels: int, resolution: tuple[int, int],
                     source: str) -> "CandidatePool":
        """Index the ``label`` maps of dataset samples, resized (nearest) to ``resolution``."""
        maps = []
        for i, sample in enumerate(samples):
            if "label" not in sample:
                raise ganforge.DataError(f"{source}: sample {i} has no 'label' map; the candidate pool is built "
                                         "from segmentation maps")
            maps.append(Condition(label=sample["label"][None].long()).resized(resolution)["label"][0])
        if not maps:
            raise ganforge.DataError(f"{source}: no samples to build the candidate pool from")
        return cls(torch.stack(maps), num_labels, source)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the pool atomically (a crash never leaves half a file)."""
        state = {"format": FORMAT, "version": VERSION, "labels": self.labels.cpu(),
                 "class_pixels": self.class_pixels.cpu(), "digests": self.digests.cpu(),
                 "num_labels": self.num_labels, "source": self.source}
        atomic_write(path, lambda f: torch.save(state, f))
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "CandidatePool":
        """Read a pool written by `save` (tensors only: ``weights_only=True``); a missing,
        foreign or inconsistent file is a `DataError` naming it and the field at fault."""
        path = Path(path)
        if not path.is_file():
            raise ganforge.DataError(f"candidate pool {path} does not exist; build it with "
                                     "`ganforge bachgan build-pool CONFIG --out " + str(path) + "`")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # pickle errors of every kind: the file is not a pool
            raise ganforge.DataError(f"candidate pool {path}: unreadable ({type(exc).__name__}: {exc})") from None
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise ganforge.DataError(f"candidate pool {path}: not a BachGAN pool (no format '{FORMAT}')")
        missing = [k for k in KEYS if k not in state]
        if missing or state["version"] != VERSION:
            raise ganforge.DataError(f"candidate pool {path}: version {state.get('version')} with missing "
                                     f"entries {missing}; this plugin reads version {VERSION}, rebuild the pool")
        labels, pixels, digests = state["labels"], state["class_pixels"], state["digests"]
        pool = cls(labels, int(state["num_labels"]), f"{path} ({state['source']})", digests=digests)
        if pixels.shape != pool.class_pixels.shape or not torch.equal(pixels, pool.class_pixels):
            raise ganforge.DataError(f"candidate pool {path}: 'class_pixels' does not match 'labels' "
                                     "(the file was edited or truncated); rebuild the pool")
        if digests.shape != (len(labels),):
            raise ganforge.DataError(f"candidate pool {path}: 'digests' has shape {tuple(digests.shape)}, "
                                     f"expected ({len(labels)},)")
        return pool

    # -- retrieval -------------------------------------------------------------------------
    def scores(self, boxes: torch.Tensor) -> torch.Tensor:
        """(B, P) IoU between each box layout and each candidate, over the boxes' classes."""
        layout = box_layout(boxes, self.num_labels, self.resolution, where="background retrieval").flatten(2)
        present = (layout.sum(-1) > 0).to(layout.dtype)  # (B, K): the classes the boxes carry
        box_area = layout.sum((1, 2))  # sum_c |S_c|
        seg_area = present @ self.class_pixels.to(layout.dtype).T  # (B, P): sum_c |L_c| over those classes
        pixels = torch.arange(layout.shape[-1], device=layout.device)
        chunk = max(1, 2 ** 24 // max(1, layout.shape[0] * layout.shape[-1]))  # bounded memory per gather
        # sum_c |S_c & L_c| = sum over pixels of S's value in the channel of the candidate's class there
        inter = torch.cat([layout[:, part.long(), pixels].sum(-1) for part in self.labels.flatten(1).split(chunk)],
                          dim=1)
        union = box_area[:, None] + seg_area - inter
        return torch.where(union > 0, inter / union.clamp(min=1e-12), torch.zeros_like(inter))

    def retrieve(self, boxes: torch.Tensor, m: int, queries: torch.Tensor | None = None) -> torch.Tensor:
        """(B, m) pool indices of the m best candidates (ties: lower index first).

        :param queries: (B, H, W) the queries' own label maps, when known (training): a
            candidate identical to its query or to its mirror image (a flipped training
            sample) is skipped, as the official code skips the query's own file.
        """
        if m > len(self):
            raise ganforge.ConfigError(f"background retrieval: num_retrieved = {m} but the pool from "
                                       f"{self.source} holds only {len(self)} candidates")
        scores = self.scores(boxes)
        if queries is not None:
            resized = Condition(label=queries.long()).resized(self.resolution)["label"]
            own = torch.tensor([[digest(q), digest(q.flip(-1))] for q in resized], device=self.digests.device)
            scores = scores.masked_fill((own[:, :, None] == self.digests[None, None]).any(1), -1.0)
        return torch.sort(scores, dim=1, descending=True, stable=True).indices[:, :m]

    def maps(self, index: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """(B, m, H, W) long: the retrieved label maps at ``size`` (nearest)."""
        return Condition(retrieved=self.labels[index].long()).resized(size)["retrieved"]


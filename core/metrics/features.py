"""One feature network per (network, weights, convention), shared by every metric using it.

FID, KID and IS all read the FID Inception. Built from the same params they get the same
`InceptionFeatures`, which remembers the features of the batches it saw last: when the
evaluator hands the same ``fake`` tensor to FID, KID and IS, the network runs once.
"""

from __future__ import annotations

import weakref

import torch
from pydantic import Field

from ganforge.interfaces import Params

from .images import Convention, inception_input
from .inception import load_fid_inception


class InceptionParams(Params):
    """The conventions of every Inception-based metric; defaults are torch-fidelity's,
    which reproduce the TensorFlow reference implementation (TTUR) exactly."""

    weights: str = Field("hub", description="FID Inception weights: 'hub' (torch hub checkpoints cache, file "
                         "pt_inception-2015-12-05-6726825d.pth), a file path, or 'none' (random, tests only)")
    resize: Convention = Field("tf1_bilinear", description="resize convention to 299x299: tf1_bilinear "
                               "(torch-fidelity, TTUR), pil_bicubic (clean-fid), torch_bilinear (pytorch-fid), "
                               "torch_bilinear_antialias")
    batch_size: int = Field(64, ge=1, description="images per forward pass of the network (no effect on values)")


class InceptionFeatures:
    """``features(images) -> {"pool": (B, 2048), "logits_unbiased": (B, 1008)}`` in float32.

    ``key`` names the network, its weights' content hash and the convention: everything
    that changes the features, so cached reference statistics can be keyed by it.
    """

    _memo_size = 4

    def __init__(self, weights: str, convention: Convention, batch_size: int = 64):
        self.net, self.weights_hash = load_fid_inception(weights)
        self.convention = convention
        self.batch_size = batch_size
        self.key = f"fid_inception-2015-12-05:{self.weights_hash[:16]}:{convention}"
        self._memo: list[tuple[weakref.ref, int, dict[str, torch.Tensor]]] = []

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        for ref, version, feats in self._memo:
            if ref() is images and images._version == version:
                return feats
        feats = self._extract(images)
        self._memo = [(weakref.ref(images), images._version, feats)] + self._memo[: self._memo_size - 1]
        return feats

    def _extract(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        if next(self.net.parameters()).device != images.device:
            self.net.to(images.device)
        chunks = [self.net(inception_input(chunk, self.convention)) for chunk in images.split(self.batch_size)]
        return {name: torch.cat([c[name] for c in chunks]).float() for name in chunks[0]}


_shared: dict[tuple[str, str], InceptionFeatures] = {}


def shared_inception(params: InceptionParams) -> InceptionFeatures:
    """The process-wide extractor for ``params``' weights and convention (built on first use)."""
    key = (params.weights, params.resize)
    extractor = _shared.get(key)
    if extractor is None:
        extractor = _shared[key] = InceptionFeatures(params.weights, params.resize, params.batch_size)
    return extractor

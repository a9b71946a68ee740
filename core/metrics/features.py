"""One feature network per (network, weights, convention), shared by every metric using it.

FID, KID and IS read the FID Inception (``network: inception``, the papers' network) or
the project's own feature network trained on the synthetic world (``network: synthetic``,
`ganforge.backbones`, for offline runs; its numbers are not comparable to papers').
Built from the same params they get the same `FeatureExtractor`, which remembers the
features of the batches it saw last: when the evaluator hands the same ``fake`` tensor to
FID, KID and IS, the network runs once.
"""

from __future__ import annotations

import weakref
from typing import Literal

import torch
from pydantic import Field, model_validator

from ganforge.interfaces import Params

from .images import Convention, inception_input
from .inception import FEATURE_DIM, load_fid_inception

Network = Literal["inception", "synthetic"]


class InceptionParams(Params):
    """The conventions of every Inception-based metric; defaults are torch-fidelity's,
    which reproduce the TensorFlow reference implementation (TTUR) exactly."""

    network: Network = Field("inception", description="feature network: 'inception' (the TF 2015-12-05 FID "
                             "Inception, comparable to papers) or 'synthetic' (ganforge's own network trained on "
                             "the synthetic world by `ganforge backbones train`; offline, NOT comparable to papers)")
    weights: str = Field("hub", description="the network's weights: 'hub' (torch hub checkpoints cache, file "
                         "pt_inception-2015-12-05-6726825d.pth, or ganforge_synthetic_features.pt for the synthetic "
                         "network), a file path, or 'none' (random, tests only)")
    resize: Convention = Field("tf1_bilinear", description="inception only: resize convention to 299x299: "
                               "tf1_bilinear (torch-fidelity, TTUR), pil_bicubic (clean-fid), torch_bilinear "
                               "(pytorch-fid), torch_bilinear_antialias. The synthetic network has one fixed input "
                               "convention (see ganforge.backbones.backbone_input)")
    batch_size: int = Field(64, ge=1, description="images per forward pass of the network (no effect on values)")

    @model_validator(mode="after")
    def _resize_is_inceptions(self):
        if self.network != "inception" and "resize" in self.model_fields_set:
            raise ValueError(f"`resize` is the Inception's input convention; network {self.network!r} has a "
                              "fixed one (8-bit rounding, antialiased bilinear resize to its training height): "
                              "remove `resize`")
        return self


class FeatureExtractor:
    """``features(images) -> {"pool": (B, dim), "logits_unbiased": (B, classes)}`` in float32:
    ``pool`` is what FID and KID compare, ``logits_unbiased`` (pool times the classifier's
    weight, no bias, TTUR's convention) what IS scores.

    ``key`` names the network, its weights' content hash and the input convention:
    everything that changes the features, so cached reference statistics can be keyed by it.
    Subclasses set ``net``, ``key``, ``dim`` and implement `prepare` and `outputs`.
    """

    _memo_size = 4
    net: torch.nn.Module
    key: str
    dim: int

    def __init__(self, batch_size: int):
        self.batch_size = batch_size
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
        chunks = [self.outputs(self.net(self.prepare(chunk))) for chunk in images.split(self.batch_size)]
        return {name: torch.cat([c[name] for c in chunks]).float() for name in chunks[0]}

    def prepare(self, images: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def outputs(self, out) -> dict[str, torch.Tensor]:  # pragma: no cover - abstract
        raise NotImplementedError


class InceptionFeatures(FeatureExtractor):
    """The FID Inception: ``pool`` (B, 2048) and ``logits_unbiased`` (B, 1008)."""

    dim = FEATURE_DIM

    def __init__(self, weights: str, convention: Convention, batch_size: int = 64):
        super().__init__(batch_size)
        self.net, self.weights_hash = load_fid_inception(weights)
        self.convention = convention
        self.key = f"fid_inception-2015-12-05:{self.weights_hash[:16]}:{convention}"

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        return inception_input(images, self.convention)

    def outputs(self, out: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return out


class SyntheticFeatures(FeatureExtractor):
    """ganforge's feature network trained on the synthetic world (`ganforge.backbones`):
    ``pool`` (B, feature_dim) and ``logits_unbiased`` of its main-shape classifier (B, 5),
    so IS measures how confidently and how evenly generated scenes show the five shapes."""

    def __init__(self, weights: str, batch_size: int = 64):
        # imported here: ganforge.backbones builds on ganforge.metrics (images, segmentation scores)
        from ganforge.backbones import INPUT_CONVENTION, backbone_input, load_backbone

        super().__init__(batch_size)
        self._input = backbone_input
        self.net, self.weights_hash = load_backbone("features", weights)
        self.height = self.net.resolution
        self.dim = self.net.feature_dim
        self.key = f"synthetic_features:{self.weights_hash[:16]}:{INPUT_CONVENTION}_h{self.height}"

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        return self._input(images, self.height)

    def outputs(self, out: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {"pool": out["pool"], "logits_unbiased": out["pool"] @ self.net.heads["shape"].weight.T}


_shared: dict[tuple[str, str, str], FeatureExtractor] = {}


def shared_features(params: InceptionParams) -> FeatureExtractor:
    """The process-wide extractor for ``params``' network, weights and convention (built
    on first use)."""
    key = (params.network, params.weights, params.resize)
    extractor = _shared.get(key)
    if extractor is None:
        extractor = _shared[key] = (InceptionFeatures(params.weights, params.resize, params.batch_size)
                                    if params.network == "inception" else
                                    SyntheticFeatures(params.weights, params.batch_size))
    return extractor

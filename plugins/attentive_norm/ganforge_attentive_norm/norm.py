"""Attentive Normalization (Wang et al. 2020, Fig. 2 of the paper).

AN splits a feature map X (B, C, H, W) softly into n regions by its *own* semantics and
instance-normalises each region separately, so distant points of one semantic entity
share statistics (long-range dependence without SAGAN's HW x HW attention):

1. Semantic layout learning. n learned 1x1 filters W (C x n) score every position for
   every entity; in training, *self-sampling* adds the similarity of each position's
   query to the keys of n randomly drawn positions (scaled by a learned alpha in [0, 1]),
   which seeds the entities with real feature points so they do not collapse. The soft
   layout is S = softmax((alpha * sampled + W^T X) / tau) over the n entities.
2. Regional normalization of the value map V = conv1x1(X): per entity i a weighted mean
   mu_i and std sigma_i of V under S_i, and X_hat = sum_i S_i (V - mu_i) / sigma_i.
3. Residual output X + rho * X_hat with rho a learned scalar starting at 0 (the paper's
   gradual emphasis of the regional normalization).

The layout filters carry an orthogonality regularizer ||W^T W - I||_F^2 (`orthogonality`)
so that the n entities differ; recipes add it to the generator's loss through
`semantic_regularization`. At test time the self-sampling branch is switched off (the
authors' README), so generation is deterministic.

AN reads nothing from the Condition: its layout comes from the features. Optionally a
second normalizer (``then``) runs after it, so AN can be added *on top of* a conditional
norm such as SPADE instead of replacing it.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import ComponentSpec, Condition, DataInfo


class AttentiveNormParams(ganforge.Params):
    n: int = Field(16, ge=1, description="number of semantic entities (layout channels); TF code nClass=16")
    temperature: float = Field(10.0, gt=0, description="softmax temperature tau of the layout (TF code kama=10)")
    key_reduction: int = Field(8, ge=1, description="key/query width is C // key_reduction (TF code c // 8)")
    alpha_init: float = Field(0.1, ge=0, le=1, description="initial weight of the self-sampling activations")
    self_sampling: bool = Field(True, description="add the self-sampled activations while training")
    eps: float = Field(1e-5, gt=0, description="added to the regional variance and pixel counts")
    then: ComponentSpec | None = ganforge.slot(
        "normalizer", None, "a normalizer applied after AN (e.g. spade): AN *in addition to* it; null: AN alone")


class AttentiveNorm(ganforge.Normalizer):
    """Attentive normalization: a learned soft semantic layout, instance norm inside each of its regions."""

    Params: ClassVar = AttentiveNormParams

    def __init__(self, params: AttentiveNormParams, data: DataInfo, num_features: int):
        super().__init__(params, data, num_features)
        c = num_features
        ck = max(c // params.key_reduction, 1)
        self.key = nn.Conv2d(c, ck, 1)
        self.query = nn.Conv2d(c, ck, 1)
        self.value = nn.Conv2d(c, c, 1)
        # W: the n semantic-entity filters; orthogonal rows (TF: N(0, 1)) so the regularizer starts at 0
        self.entity_filters = nn.Parameter(nn.init.orthogonal_(torch.empty(params.n, c)))
        self.alpha = nn.Parameter(torch.full((params.n,), params.alpha_init))
        self.rho = nn.Parameter(torch.zeros(()))
        self.then = (ganforge.build("normalizer", params.then, data, path="normalizer.then", check=False,
                                    num_features=c) if params.then is not None else None)
        self.last_layout: torch.Tensor | None = None

    def layout(self, x: torch.Tensor) -> torch.Tensor:
        """The soft semantic layout S (B, n, H, W), summing to 1 over the n entities."""
        b, _, h, w = x.shape
        logits = torch.einsum("nc,bchw->bnhw", self.entity_filters.to(x.dtype), x)
        if self.training and self.params.self_sampling:
            q = self.query(x).flatten(2)  # (B, C', HW)
            k = self.key(x).flatten(2)
            # n positions drawn uniformly (TF: multinomial over equal logits), shared by the batch
            picks = torch.randint(0, h * w, (self.params.n,), device=x.device)
            sampled = torch.einsum("bdp,bdn->bnp", q, k[:, :, picks]).view(b, self.params.n, h, w)
            logits = logits + self.alpha.clamp(0, 1).view(1, -1, 1, 1).to(x.dtype) * sampled
        return F.softmax(logits / self.params.temperature, dim=1)

    def regional_norm(self, v: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        """X_hat = sum_i S_i (V - mu_i) / sigma_i with S_i-weighted mean and std.

        Written with moments (E_S[V], E_S[V^2]) so no (B, C, n, H, W) tensor is built."""
        eps = self.params.eps
        count = s.sum((2, 3)) + eps  # (B, n)
        mean = torch.einsum("bnhw,bchw->bnc", s, v) / count[..., None]
        sq = torch.einsum("bnhw,bchw->bnc", s, v * v) / count[..., None]
        inv_std = torch.rsqrt((sq - mean * mean).clamp_min(0) + eps)  # (B, n, C)
        scale = torch.einsum("bnhw,bnc->bchw", s, inv_std)
        shift = torch.einsum("bnhw,bnc->bchw", s, mean * inv_std)
        return v * scale - shift

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        s = self.layout(x)
        self.last_layout = s.detach()
        out = x + self.rho.to(x.dtype) * self.regional_norm(self.value(x), s)
        return self.then(out, cond) if self.then is not None else out

    def orthogonality(self) -> torch.Tensor:
        """||W^T W - I||_F^2 over the n entity filters: keeps the entities distinct."""
        w = self.entity_filters
        gram = w @ w.t()
        return (gram - torch.eye(gram.shape[0], device=w.device, dtype=w.dtype)).pow(2).sum()


def semantic_regularization(module: nn.Module) -> torch.Tensor:
    """Sum of the orthogonality terms of every AN layer inside ``module`` (0 if none)."""
    terms = [m.orthogonality() for m in module.modules() if isinstance(m, AttentiveNorm)]
    if not terms:
        return torch.zeros(())
    return torch.stack(terms).sum()


def learned_layouts(module: nn.Module) -> list[torch.Tensor]:
    """The soft layouts (B, n, H, W) of every AN layer of ``module`` from its last forward."""
    return [m.last_layout for m in module.modules() if isinstance(m, AttentiveNorm) and m.last_layout is not None]

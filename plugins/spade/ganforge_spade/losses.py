"""SPADE's objective (Park et al. 2019, Sec. 4 and appendix A): pix2pixHD's objective with
the hinge adversarial loss, plus the KL term of the VAE variant.

Adversarial losses average the per-scale means over the discriminator's scales, as
SPADE's GANLoss does; the recipe applies the lambdas.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

import ganforge


def _per_scale(scores: Sequence[torch.Tensor] | torch.Tensor) -> list[torch.Tensor]:
    scores = [scores] if isinstance(scores, torch.Tensor) else list(scores)
    if not scores:
        raise ValueError("an adversarial loss needs at least one score map")
    return [s.float() for s in scores]


class _ScaleAveraged(ganforge.AdversarialLoss):
    """Mean over each score map, then mean over scales."""

    def forward(self, scores, real: bool, for_discriminator: bool) -> torch.Tensor:
        per_scale = _per_scale(scores)
        return sum(self.loss(s, real, for_discriminator) for s in per_scale) / len(per_scale)

    def loss(self, score: torch.Tensor, real: bool, for_discriminator: bool) -> torch.Tensor:
        raise NotImplementedError  # pragma: no cover - each subclass defines its loss


class HingeLoss(_ScaleAveraged):
    """Hinge GAN loss, SPADE's default.

    Lim & Ye 2017: D minimises E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(s)))], G minimises -E[D(G(s))]."""

    def loss(self, score, real, for_discriminator):
        if for_discriminator:
            return F.relu(1 - score).mean() if real else F.relu(1 + score).mean()
        if not real:
            raise ValueError("the generator's hinge loss only aims at 'real' (call it with real=True)")
        return -score.mean()


class LSGANLoss(_ScaleAveraged):
    """Least-squares GAN loss: MSE to 1 for real, 0 for fake (Mao et al. 2017; pix2pixHD's default)."""

    def loss(self, score, real, for_discriminator):
        return F.mse_loss(score, torch.full_like(score, 1.0 if real else 0.0))


class NonSaturatingLoss(_ScaleAveraged):
    """Original GAN loss with the non-saturating generator objective (binary cross-entropy on logits).

    Goodfellow et al. 2014: the generator maximises log D(G(s)) (SPADE's gan_mode 'original')."""

    def loss(self, score, real, for_discriminator):
        return F.binary_cross_entropy_with_logits(score, torch.full_like(score, 1.0 if real else 0.0))


class FeatureMatchingLoss(ganforge.Loss):
    """Discriminator feature matching: L1 between D's hidden activations on fake and real images.

    pix2pixHD (Wang et al. 2018, Eq. 4) as SPADE weights it: summed over layers, averaged
    over scales (pix2pixHD's layer weight 4/(n_layers+1) is 1 at its n_layers = 3). Real
    features are targets: no gradient flows into them."""

    def forward(self, fake_features: Sequence[Sequence[torch.Tensor]],
                real_features: Sequence[Sequence[torch.Tensor]]) -> torch.Tensor:
        if len(fake_features) != len(real_features) or not fake_features:
            raise ValueError(f"feature matching needs the same, non-zero number of scales for fake and real, "
                             f"got {len(fake_features)} and {len(real_features)}")
        total = 0.0
        for fake_scale, real_scale in zip(fake_features, real_features):
            for fake, real in zip(fake_scale, real_scale, strict=True):
                total = total + F.l1_loss(fake.float(), real.detach().float())
        return total / len(fake_features)


class KLDivergenceLoss(ganforge.Loss):
    """KL divergence of the encoder's Gaussian from N(0, I), summed over batch and z.

    KL = -1/2 sum(1 + logvar - mu^2 - exp(logvar)); SPADE sums rather than averages,
    which is why its weight lambda_kld = 0.05 is small."""

    def forward(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        mu, logvar = mu.float(), logvar.float()
        return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())

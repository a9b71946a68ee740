"""The Semantic Pyramid recipe (paper Sec. 3.2-3.3).

Each step the reference is the real image itself, x, with random masks M (`masks.py`):

    D: L_adv(D(x), real) + L_adv(D(G(z1, C(x), M)), fake)
    G: L_adv(D(G1), real) + lambda_rec L_rec + lambda_div L_div
    L_rec = sum_l  mean(M_l * |C_l(G1) - C_l(x)|)        reconstruction in the classifier's
                                                          feature space, on the fed levels
    L_div = mean(|z1 - z2|_1 / (|G1 - G2|_1 + eps))      diversity between two noises (mode seeking)

with G1 = G(z1, C(x), M) and G2 = G(z2, C(x), M). The trainer owns backward, the
optimisers (Adam, lr 1e-4, betas (0, 0.999) for both players), EMA and AMP.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from pydantic import Field

import ganforge
from ganforge import AdversarialLoss, ComponentSpec, Condition, DataInfo, StepResult
from ganforge.run import Run

from .classifier import LEVELS
from .masks import level_masks, sample_training_masks, single_level

EPS = 1e-8


class SemanticPyramidParams(ganforge.Params):
    gan_loss: ComponentSpec = ganforge.slot("loss", "lsgan", "adversarial loss (least squares)")
    lambda_rec: float = Field(0.1, ge=0, description="weight of the feature reconstruction loss")
    lambda_div: float = Field(0.1, ge=0, description="weight of the diversity loss")
    crop_prob: float = Field(0.3, ge=0, le=1, description="probability of also feeding a random crop of the "
                                                           "levels shallower than the chosen one")
    level_weights: tuple[float, ...] = Field((1.0,) * len(LEVELS), description="weight of each level in L_rec "
                                             "(conv1..conv5, fc7, fc8)")


class SemanticPyramid(ganforge.Strategy):
    """Adversarial + masked classifier-feature reconstruction + diversity."""

    Params: ClassVar = SemanticPyramidParams
    networks = {"generator": "generator", "discriminator": "discriminator"}
    optimizers = {"generator": ("generator",), "discriminator": ("discriminator",)}
    # added in ganforge_prepare_batch: the reference (the batch image), masks and noise
    provides = frozenset({"exemplar", "pyramid_mask", "z"})

    def __init__(self, params: SemanticPyramidParams, data: DataInfo):
        super().__init__(params, data)
        if len(params.level_weights) != len(LEVELS):
            raise ganforge.ConfigError(f"strategy.level_weights: one weight per level ({', '.join(LEVELS)}), "
                                       f"got {len(params.level_weights)}")
        self.gan_loss = ganforge.build("loss", params.gan_loss, data, path="strategy.gan_loss", expect=AdversarialLoss)

    @staticmethod
    def z_dim(run: Run) -> int:
        z_dim = getattr(getattr(run.models["generator"], "params", None), "z_dim", None)
        if not isinstance(z_dim, int) or not hasattr(run.models["generator"], "classifier"):
            raise ganforge.ConfigError("strategy 'semantic_pyramid': models.generator must have params.z_dim and a "
                                       "classifier with pyramid(image), as generator 'semantic_pyramid' does")
        return z_dim

    def reconstruction(self, classifier: torch.nn.Module, fake: torch.Tensor, real: torch.Tensor,
                       mask: torch.Tensor) -> torch.Tensor:
        """L_rec: masked L1 between the classifier's levels of G1 and of x, weighted per level."""
        with torch.no_grad():
            target = classifier.pyramid(real)
        ours = classifier.pyramid(fake)
        masks = level_masks(mask, [t.shape for t in target])
        return sum(w * (m * (o.float() - t.float()).abs()).mean()
                   for w, m, o, t in zip(self.params.level_weights, masks, ours, target))

    @staticmethod
    def diversity(z1, z2, fake1, fake2) -> torch.Tensor:
        """L_div: |z1 - z2| over |G1 - G2| (minimised: distinct noises must give distinct images)."""
        dz = (z1 - z2).abs().mean(1)
        dx = (fake1 - fake2).abs().flatten(1).mean(1)
        return (dz / (dx + EPS)).mean()

    # -- run hooks -----------------------------------------------------------------------
    @ganforge.hookimpl
    def ganforge_prepare_batch(self, run: Run, batch: dict[str, Any]) -> None:
        image = batch["image"]
        b = image.shape[0]
        mask = sample_training_masks(b, tuple(image.shape[-2:]), self.params.crop_prob, device=image.device)
        z = torch.randn(b, self.z_dim(run), device=image.device)
        batch["cond"] = batch["cond"].replace(exemplar=image, pyramid_mask=mask, z=z)

    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        real, cond = batch["image"], batch["cond"]
        D = run.models["discriminator"]
        with run.autocast():
            with torch.no_grad():
                fake = run.generate(cond, real)
            d_real = self.gan_loss(D(real, cond).scores, real=True, for_discriminator=True)
            d_fake = self.gan_loss(D(fake.detach(), cond).scores, real=False, for_discriminator=True)
        return StepResult(d_real + d_fake, {"d_real": d_real.detach(), "d_fake": d_fake.detach()})

    @ganforge.hookimpl
    def ganforge_generator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        real, cond, p = batch["image"], batch["cond"], self.params
        G = run.models["generator"]
        z1 = cond["z"]
        z2 = torch.randn_like(z1)
        with run.frozen("discriminator"), run.autocast():
            fake1, fake2 = run.generate(cond, real), run.generate(cond, real, z=z2)
            logs = {"g_adv": self.gan_loss(run.models["discriminator"](fake1, cond).scores, real=True,
                                           for_discriminator=False),
                    "g_rec": self.reconstruction(G.classifier, fake1, real, cond["pyramid_mask"]),
                    "g_div": self.diversity(z1, z2, fake1.float(), fake2.float())}
            total = logs["g_adv"] + p.lambda_rec * logs["g_rec"] + p.lambda_div * logs["g_div"]
        return StepResult(total, {k: v.detach() for k, v in logs.items()})

    @ganforge.hookimpl
    def ganforge_sample(self, run: Run, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Rows: the references, then one generation from each level alone, deepest (fc8) first."""
        image = batch["image"]
        z = torch.randn(image.shape[0], self.z_dim(run), device=image.device)
        rows = {"reference": image}
        with torch.no_grad(), run.autocast():
            for level in reversed(LEVELS):
                mask = single_level(level, image.shape[0], tuple(image.shape[-2:]), image.device)
                cond = Condition(exemplar=image, pyramid_mask=mask, z=z)
                rows[f"from {level}"] = run.generate(cond, image, sampling=True).to(image.dtype)
        return rows

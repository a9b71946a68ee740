"""The SPADE training recipe (Park et al. 2019, Sec. 4 and appendix A; pix2pixHD's paired
conditional objective with the hinge loss):

    D: L_GAN(D(s, x), real) + L_GAN(D(s, G(s)), fake)
    G: L_GAN(D(s, G(s)), real) + lambda_feat L_FM + lambda_vgg L_VGG [+ lambda_kld KL(E(x))]
       [+ lambda_l1 |G(s) - x|_1, pix2pix's pixel loss: off in SPADE, a VGG-free option]

Real and fake go through D in one batch (so batch-normalised Ds see joint statistics).
A step updates G first, then D, as SPADE's train.py (and SEAN's, SMIS's, BachGAN's) calls
``run_generator_one_step`` before ``run_discriminator_one_step``: the D step then judges
the just-updated G. The trainer owns backward, the optimisers (TTUR: G 1e-4, D 4e-4, Adam betas (0, 0.9)),
EMA and AMP; this recipe only computes the losses.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from pydantic import Field

import ganforge
from ganforge import AdversarialLoss, ComponentSpec, Condition, DataInfo, PairedLoss, StepResult
from ganforge.report.rows import conditional_rows
from ganforge.run import Run


class PairedConditionalParams(ganforge.Params):
    gan_loss: ComponentSpec = ganforge.slot("loss", "hinge", "adversarial loss (SPADE's --gan_mode hinge)")
    feat: ComponentSpec | None = ganforge.slot("loss", "feature_matching", "D feature matching; null disables it")
    lambda_feat: float = Field(10.0, ge=0, description="weight of feature matching")
    vgg: ComponentSpec | None = ganforge.slot("loss", "vgg19_perceptual", "perceptual loss; null disables it")
    lambda_vgg: float = Field(10.0, ge=0, description="weight of the perceptual loss")
    kld: ComponentSpec = ganforge.slot("loss", "kl", "KL of a VAE encoder's posterior (used when it returns mu)")
    lambda_kld: float = Field(0.05, ge=0, description="weight of the KL term")
    lambda_l1: float = Field(0.0, ge=0, description="weight of a pixel L1 to the real image (pix2pix's "
                                                    "lambda_L1, 100 there; 0 = off, as in SPADE)")


class PairedConditional(ganforge.Strategy):
    """SPADE / pix2pixHD recipe: conditional GAN on (label map, image) pairs with feature matching and VGG losses."""

    Params: ClassVar = PairedConditionalParams
    networks = {"generator": "generator", "discriminator": "discriminator", "encoder": "encoder"}
    optional_networks = frozenset({"encoder"})
    optimizers = {"generator": ("generator", "encoder"), "discriminator": ("discriminator",)}
    conditioners = {"encoder": "real"}
    updates = (("generator", ""), ("discriminator", ""))  # the official order: G, then D

    @classmethod
    def network_needs(cls, params: PairedConditionalParams) -> dict[str, frozenset[str]]:
        """Feature matching compares the discriminator's intermediate features."""
        return {"discriminator": frozenset({"features"})} if params.feat is not None else {}

    def __init__(self, params: PairedConditionalParams, data: DataInfo):
        super().__init__(params, data)
        self.gan_loss = ganforge.build("loss", params.gan_loss, data, path="strategy.gan_loss", expect=AdversarialLoss)
        self.feat = (ganforge.build("loss", params.feat, data, path="strategy.feat")
                     if params.feat is not None else None)
        self.vgg = (ganforge.build("loss", params.vgg, data, path="strategy.vgg", expect=PairedLoss)
                    if params.vgg is not None else None)
        self.kld = ganforge.build("loss", params.kld, data, path="strategy.kld")

    # -- pieces of a step --------------------------------------------------------------
    @staticmethod
    def generate(run: Run, batch: dict[str, Any], sampling: bool = False
                 ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """G(s) through the run's conditioning path, and the encoder's output (empty
        without one): its z comes from the real image (the posterior), as in SPADE's
        training and test."""
        cond, outputs = run.condition(batch["cond"], image=batch["image"], sampling=sampling)
        generator = run.generator_for_sampling() if sampling else run.models["generator"]
        return generator(cond), outputs.get("encoder", {})

    @staticmethod
    def discriminate(run: Run, fake: torch.Tensor, real: torch.Tensor, cond: Condition):
        """D on fake and real in one batch; returns (fake, real) `DiscriminatorOutput` halves."""
        both = Condition({k: torch.cat([v, v]) for k, v in cond.items()})
        out = run.models["discriminator"](torch.cat([fake, real]), both)
        b = fake.shape[0]

        def half(part: slice) -> ganforge.DiscriminatorOutput:
            return ganforge.DiscriminatorOutput(scores=[s[part] for s in out.scores],
                                                features=[[f[part] for f in scale] for scale in out.features])

        return half(slice(0, b)), half(slice(b, None))

    # -- run hooks -----------------------------------------------------------------------
    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        real, cond = batch["image"], batch["cond"]
        with run.autocast():
            with torch.no_grad():
                fake, _ = self.generate(run, batch)
            pred_fake, pred_real = self.discriminate(run, fake.detach(), real, cond)
            d_fake = self.gan_loss(pred_fake.scores, real=False, for_discriminator=True)
            d_real = self.gan_loss(pred_real.scores, real=True, for_discriminator=True)
        return StepResult(d_fake + d_real, {"d_fake": d_fake.detach(), "d_real": d_real.detach()})

    @ganforge.hookimpl
    def ganforge_generator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        real, cond = batch["image"], batch["cond"]
        p = self.params
        with run.frozen("discriminator"), run.autocast():
            fake, encoded = self.generate(run, batch)
            pred_fake, pred_real = self.discriminate(run, fake, real, cond)
            logs = {"g_gan": self.gan_loss(pred_fake.scores, real=True, for_discriminator=False)}
            weighted = [logs["g_gan"]]
            if self.feat is not None:
                logs["g_feat"] = self.feat(pred_fake.features, pred_real.features)
                weighted.append(p.lambda_feat * logs["g_feat"])
            if self.vgg is not None:
                logs["g_vgg"] = self.vgg(fake, real)
                weighted.append(p.lambda_vgg * logs["g_vgg"])
            if p.lambda_l1 > 0:
                logs["g_l1"] = torch.nn.functional.l1_loss(fake.float(), real.float())
                weighted.append(p.lambda_l1 * logs["g_l1"])
            if "mu" in encoded:  # a VAE encoder (SPADE's); SEAN's style encoder has no posterior
                logs["kld"] = self.kld(encoded["mu"], encoded["logvar"])
                weighted.append(p.lambda_kld * logs["kld"])
        return StepResult(sum(weighted), {k: v.detach() for k, v in logs.items()})

    @ganforge.hookimpl
    def ganforge_sample(self, run: Run, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Rows: the label map, the generated images (the sampling copy of G, EMA if any), the real ones."""
        with torch.no_grad(), run.autocast():
            fake, _ = self.generate(run, batch, sampling=True)
        return conditional_rows(batch["cond"], fake.to(batch["image"].dtype), batch["image"])

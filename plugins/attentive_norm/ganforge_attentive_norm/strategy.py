"""The two recipes of the paper's experiments, each adding AN's regularizer to G's loss.

* ``an_class_conditional`` (class-conditional ImageNet): BigGAN's hinge objective on (class, image) with
  fake classes drawn from the batch, plus lambda_orth * sum ||W^T W - I||_F^2 of every AN.
* ``an_inpainting`` (the TF code's ``build_net``): holes are cut into each real
  image (``mask`` and ``masked_image`` are added to the batch); G is trained with
  spatially discounted L1 in the hole, L1 outside it (both stages), WGAN loss from a global
  and a hole-averaged patch critic with gradient penalty, and the AN regularizer; the critic
  steps ``d_steps`` times per generator step.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from pydantic import Field

import ganforge
from ganforge import AdversarialLoss, ComponentSpec, Condition, DataInfo, StepResult
from ganforge.run import Run

from .masks import MaskParams, discounted_weights, make_masks
from .norm import semantic_regularization


class ClassConditionalParams(ganforge.Params):
    gan_loss: ComponentSpec = ganforge.slot("loss", "hinge", "adversarial loss (BigGAN: hinge)")
    lambda_orth: float = Field(1e-3, ge=0, description="weight of AN's orthogonality regularizer (TF orth_lambda)")
    z_dim: int = Field(120, ge=1, description="latent size drawn for G (match the generator's dim_z)")


class ClassConditional(ganforge.Strategy):
    """Class-conditional GAN (BigGAN's hinge recipe) with Attentive Normalization's regularizer."""

    Params: ClassVar = ClassConditionalParams
    networks = {"generator": "generator", "discriminator": "discriminator"}
    optimizers = {"generator": ("generator",), "discriminator": ("discriminator",)}
    provides = frozenset({"z"})  # the generator's latent for the batch, drawn in ganforge_prepare_batch

    def __init__(self, params: ClassConditionalParams, data: DataInfo):
        super().__init__(params, data)
        self.gan_loss = ganforge.build("loss", params.gan_loss, data, path="strategy.gan_loss", expect=AdversarialLoss)

    def fake_condition(self, cond: Condition) -> Condition:
        """The batch's classes with fresh latents z ~ N(0, I) of the recipe's ``z_dim``."""
        ref = next(iter(cond.values()))
        return cond.replace(z=torch.randn(cond.batch_size, self.params.z_dim, device=ref.device))

    @ganforge.hookimpl
    def ganforge_setup(self, run: Run) -> None:
        """The z this recipe draws must fit a generator that states its width (``z_dim``:
        StyleGAN2's, 3D controllable synthesis'); BigGAN's takes the chunks it needs of any z."""
        G = run.models["generator"]
        width = getattr(G, "z_dim", None)
        if isinstance(width, int) and width != self.params.z_dim:
            raise ganforge.ConfigError(f"strategy 'an_class_conditional': strategy.z_dim is {self.params.z_dim} but "
                                       f"models.generator ({type(G).__name__}) takes z of width {width}; set "
                                       f"strategy.z_dim={width}")

    @ganforge.hookimpl
    def ganforge_prepare_batch(self, run: Run, batch: dict[str, Any]) -> None:
        """The batch's z, which the generator step and evaluation use: G is evaluated on
        the recipe's z, as it is trained, not on a z it draws itself. The discriminator step
        draws another (BigGAN draws z anew for each D and each G step)."""
        batch["cond"] = self.fake_condition(batch["cond"])

    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        real, cond = batch["image"], batch["cond"]
        with run.autocast():
            with torch.no_grad():
                fake = run.generate(self.fake_condition(cond), real)
            d_fake = self.gan_loss([run.models["discriminator"](fake, cond).scores[0]], real=False,
                                   for_discriminator=True)
            d_real = self.gan_loss([run.models["discriminator"](real, cond).scores[0]], real=True,
                                   for_discriminator=True)
        return StepResult(d_fake + d_real, {"d_fake": d_fake.detach(), "d_real": d_real.detach()})

    @ganforge.hookimpl
    def ganforge_generator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        cond = batch["cond"]
        with run.frozen("discriminator"), run.autocast():
            fake = run.generate(cond, batch["image"])
            g_gan = self.gan_loss(run.models["discriminator"](fake, cond).scores, real=True, for_discriminator=False)
            orth = semantic_regularization(run.models["generator"]).to(g_gan.device)
        return StepResult(g_gan + self.params.lambda_orth * orth, {"g_gan": g_gan.detach(), "an_orth": orth.detach()})

    @ganforge.hookimpl
    def ganforge_sample(self, run: Run, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Rows: the real images, then samples of the same classes (fixed seed per call)."""
        cond = batch["cond"]
        gen = torch.Generator().manual_seed(0)
        z = torch.randn(cond.batch_size, self.params.z_dim, generator=gen).to(batch["image"].device)
        with torch.no_grad(), run.autocast():
            fake = run.generate(cond.replace(z=z), batch["image"], sampling=True)
        return {"real": batch["image"], "generated (same classes)": fake.to(batch["image"].dtype)}


class InpaintingRecipeParams(ganforge.Params):
    masks: MaskParams = Field(default_factory=MaskParams, description="how holes are cut into training images")
    lambda_gan: float = Field(1e-3, ge=0, description="WGAN loss weight (TF gan_loss_alpha)")
    lambda_gp: float = Field(10.0, ge=0, description="gradient penalty weight (TF wgan_gp_lambda)")
    lambda_l1: float = Field(1.4, ge=0, description="weight of the in-hole, spatially discounted L1 (l1_loss_alpha)")
    lambda_ae: float = Field(1.2, ge=0, description="weight of the out-of-hole L1 (ae_loss_alpha)")
    l1_scale: float = Field(1.2, ge=0, description="inner scale of both L1 terms (TF pretrain_l1_alpha)")
    lambda_orth: float = Field(2e-4, ge=0, description="AN regularizer weight: orth_loss_alpha 0.2 x orth_lambda 1e-3")
    d_steps: int = Field(5, ge=1, description="critic steps per generator step (TF train.py: 5)")


class Inpainting(ganforge.Strategy):
    """Image inpainting with the two-stage AN generator, WGAN-GP critics and AN's regularizer."""

    Params: ClassVar = InpaintingRecipeParams
    networks = {"generator": "generator", "discriminator": "discriminator"}
    optimizers = {"generator": ("generator",), "discriminator": ("discriminator",)}
    provides = frozenset({"mask", "masked_image"})

    @ganforge.hookimpl
    def ganforge_prepare_batch(self, run: Run, batch: dict[str, Any]) -> None:
        batch["cond"] = self.with_holes(batch["image"], batch["cond"])

    def with_holes(self, image: torch.Tensor, cond: Condition, seed: int | None = None) -> Condition:
        """``cond`` with a hole mask (1 = missing) and the image with the holes zeroed."""
        if "mask" in cond:
            mask = cond["mask"].to(image.dtype)
        else:
            gen = torch.Generator().manual_seed(seed) if seed is not None else None
            mask = make_masks(self.params.masks, image.shape[0], tuple(image.shape[-2:]), gen).to(image)
        return cond.replace(mask=mask, masked_image=image * (1 - mask))

    @staticmethod
    def complete(run: Run, cond: Condition, real: torch.Tensor, sampling: bool = False):
        """(coarse, fine, composite) of the generator on the run's conditioning path."""
        g = run.generator_for_sampling() if sampling else run.models["generator"]
        cond = run.condition(cond, real, sampling=sampling)[0]
        coarse, fine = g.stages(cond) if hasattr(g, "stages") else (None, g(cond))
        mask = cond["mask"].to(fine.dtype)
        return coarse, fine, fine * mask + real * (1 - mask)

    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        real, cond = batch["image"], batch["cond"]
        disc = run.models["discriminator"]
        with run.autocast():
            with torch.no_grad():
                _, _, completed = self.complete(run, cond, real)
            pos, neg = disc(real, cond).scores, disc(completed, cond).scores
            d_wgan = sum((n - p).mean() for p, n in zip(pos, neg))
        alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device, dtype=real.dtype)
        inter = (real + alpha * (completed - real)).requires_grad_(True)
        scores = disc(inter, cond).scores
        mask = cond["mask"].to(real.dtype)
        gp = 0.0
        for s in scores:  # TF gradients_penalty: ||grad * mask||, one term per critic
            grad, = torch.autograd.grad(s.sum(), inter, create_graph=True)
            gp = gp + ((grad.pow(2) * mask).sum((1, 2, 3)).add(1e-12).sqrt() - 1).pow(2).mean()
        return StepResult(d_wgan + self.params.lambda_gp * gp, {"d_wgan": d_wgan.detach(), "gp": gp.detach()})

    @ganforge.hookimpl
    def ganforge_generator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        if run.step % self.params.d_steps:
            return StepResult(None, {})
        real, cond = batch["image"], batch["cond"]
        p = self.params
        mask = cond["mask"].to(real.dtype)
        with run.frozen("discriminator"), run.autocast():
            coarse, fine, completed = self.complete(run, cond, real)
            stages = [x for x in (coarse, fine) if x is not None]
            weight = discounted_weights(mask)
            l1 = sum(((real - x).abs() * weight).mean() for x in stages) * p.l1_scale
            ae = sum(((real - x).abs() * (1 - mask)).mean() for x in stages) * p.l1_scale / (1 - mask).mean()
            g_gan = -sum(s.mean() for s in run.models["discriminator"](completed, cond).scores)
            orth = semantic_regularization(run.models["generator"]).to(real.device)
            total = p.lambda_gan * g_gan + p.lambda_l1 * l1 + p.lambda_ae * ae + p.lambda_orth * orth
        return StepResult(total, {"g_wgan": g_gan.detach(), "l1_hole": l1.detach(), "l1_valid": ae.detach(),
                                  "an_orth": orth.detach()})

    @ganforge.hookimpl
    def ganforge_sample(self, run: Run, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Rows: real, incomplete and completed images; the trainer's fixed sampling batch is not
        prepared, so it gets seeded holes here."""
        real, cond = batch["image"], batch["cond"]
        if "mask" not in cond:
            cond = self.with_holes(real, cond, seed=0)
        with torch.no_grad(), run.autocast():
            _, _, completed = self.complete(run, cond, real, sampling=True)
        return {"real": real, "with holes": cond["masked_image"].to(real.dtype), "completed": completed.to(real.dtype)}

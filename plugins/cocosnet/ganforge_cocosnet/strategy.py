"""The CoCosNet training recipe (Zhang et al. 2020, Sec. 3.3; weights of the official
ADE20K command: ``--weight_mask 100``, defaults otherwise):

    D: lambda_adv [L_hinge(D(x_A, x_B), real) + L_hinge(D(x_A, G(x_A, r_{y->x})), fake)]
    G: lambda_adv L_adv + lambda_feat L_FM(D) + lambda_fm L_feat(VGG, self-exemplars)
       + lambda_perc L_perc + lambda_context L_context(exemplar) + lambda_domain L_domain
       + lambda_mask L_warp-mask + lambda_cycle L_reg

Each step runs G first and then D on the fake G just made, as the official trainer does
(``run_generator_one_step`` returns the fake, ``run_discriminator_one_step`` reuses it):
one translation per step, not a second one for D.

The correspondence network (role ``correspondence``, any encoder providing
``warped_exemplar``) and the translation network share the generator's optimiser, as the
official netCorr and netG do (TTUR: 1e-4 with Adam eps 1e-3 for both, 4e-4 for D,
betas (0, 0.9)). Exemplars come from the dataset or from the ``cocosnet_pairing`` strategy.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch.nn.utils import parametrize

import ganforge
from ganforge import AdversarialLoss, ComponentSpec, Condition, DataInfo, StepResult
from ganforge.run import Run

from . import losses
from .pairing import SELF_REF

PERCEPTUAL_LAYER = {"4_2": 3, "5_2": 4}
FAKE = "cocosnet_fake"  # batch key: the G step's output, detached, for the D step after it


class CoCosNetParams(ganforge.Params):
    gan_loss: ComponentSpec = ganforge.slot("loss", "hinge", "adversarial loss (official --gan_mode hinge)")
    lambda_adv: float = Field(10.0, ge=0, description="weight of the adversarial terms of G and D (--weight_gan)")
    feat: ComponentSpec | None = ganforge.slot("loss", "feature_matching", "D feature matching; null disables it")
    lambda_feat: float = Field(10.0, ge=0, description="weight of D feature matching (--lambda_feat)")
    contextual: ComponentSpec = ganforge.slot("loss", "cocosnet_contextual",
                                              "contextual loss with the exemplar; its VGG19 serves every VGG term")
    lambda_context: float = Field(10.0, ge=0, description="weight of the contextual loss (--lambda_vgg x --ctx_w)")
    lambda_fm: float = Field(1.0, ge=0, description="weight of VGG feature matching with the real image for "
                                                    "self-exemplars (--lambda_vgg x --fm_ratio: 10 x 0.1)")
    perceptual_layer: Literal["4_2", "5_2"] = Field("5_2", description="relu layer of the perceptual loss")
    lambda_perc: float = Field(0.01, ge=0, description="weight of the perceptual MSE (--weight_perceptual)")
    lambda_domain: float = Field(10.0, ge=0, description="weight of the domain alignment loss (--novgg_featpair)")
    lambda_mask: float = Field(100.0, ge=0, description="weight of the warp-mask loss (--weight_mask)")
    mask_ignore_index: int | None = Field(None, description="label id the warp-mask loss ignores; "
                                                            "null: the don't-care id when the data has one")
    lambda_cycle: float = Field(0.0, ge=0, description="weight of correspondence regularisation r_{y->x->y} = y "
                                                       "(--warp_cycle_w); needs the encoder's cycle: true")


def same_input_features(vgg, images: torch.Tensor, known: torch.Tensor, known_f: list[torch.Tensor]
                        ) -> list[torch.Tensor]:
    """``vgg(images)``, reusing ``known_f = vgg(known)`` for the samples where ``images``
    equals ``known``: a self-exemplar (the official self-reference case, every sample of a
    batch of one) is the real image, whose features the step already has."""
    same = (images == known).flatten(1).all(1)
    if bool(same.all()):
        return known_f
    if not bool(same.any()):
        return vgg(images)
    rest = vgg(images[~same])
    out = [f.clone() for f in known_f]
    for f, r in zip(out, rest):
        f[~same] = r
    return out


class CoCosNet(ganforge.Strategy):
    """CoCosNet recipe: correspondence + translation trained jointly against a multi-scale D."""

    Params: ClassVar = CoCosNetParams
    networks = {"generator": "generator", "discriminator": "discriminator", "correspondence": "encoder"}
    optimizers = {"generator": ("generator", "correspondence"), "discriminator": ("discriminator",)}
    requires = frozenset({"label", "exemplar"})
    conditioners = {"correspondence": "real"}  # reads the real image only for domain alignment
    reads = {"correspondence": frozenset({"warped_exemplar"})}
    updates = (("generator", ""), ("discriminator", ""))  # the official order: D trains on G's fake

    @classmethod
    def network_needs(cls, params: CoCosNetParams) -> dict[str, frozenset[str]]:
        """Feature matching compares the discriminator's intermediate features."""
        return {"discriminator": frozenset({"features"})} if params.feat is not None else {}

    def __init__(self, params: CoCosNetParams, data: DataInfo):
        super().__init__(params, data)
        self.gan_loss = ganforge.build("loss", params.gan_loss, data, path="strategy.gan_loss", expect=AdversarialLoss)
        self.feat = (ganforge.build("loss", params.feat, data, path="strategy.feat")
                     if params.feat is not None else None)
        self.contextual = ganforge.build("loss", params.contextual, data, path="strategy.contextual")
        if not isinstance(getattr(self.contextual, "vgg", None), losses.VGG19Relu2):
            raise ganforge.ConfigError("strategy.contextual: CoCosNet's recipe needs a contextual loss with a "
                                       "relu{1..5}_2 VGG19 ('cocosnet_contextual')")
        ignore = params.mask_ignore_index
        self.mask_ignore = ignore if ignore is not None else (data.label_nc if data.contain_dontcare_label else None)

    # -- pieces of a step --------------------------------------------------------------
    @ganforge.hookimpl
    def ganforge_setup(self, run: Run) -> None:
        corr = run.models["correspondence"]
        if self.params.lambda_cycle > 0 and not getattr(corr.params, "cycle", False):
            raise ganforge.ConfigError("strategy.lambda_cycle > 0 needs models.correspondence.cycle: true")

    @staticmethod
    def translate(run: Run, image: torch.Tensor, cond: Condition, sampling: bool = False
                  ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """G(x_A, r_{y->x}) through the run's conditioning path (the correspondence is its
        conditioner), and the correspondence outputs."""
        full, outputs = run.condition(cond, image, sampling=sampling)
        generator = run.generator_for_sampling() if sampling else run.models["generator"]
        return generator(full), outputs.get("correspondence", {})

    @staticmethod
    def discriminate(run: Run, fake: torch.Tensor, real: torch.Tensor, cond: Condition, real_graph: bool = True):
        """D on fake and real in one batch; returns the (fake, real) halves.

        ``real_graph=False`` (the G step, where the real half's outputs are only targets):
        D on the real images without a graph, the fake's pass with one -- the official
        code's batch without the backward through its real half. Both passes read one
        spectral-normed weight per layer (``parametrize.cached``): one power iteration,
        as the batched pass does."""
        if not real_graph:
            label = Condition({"label": cond["label"]})
            with parametrize.cached():
                pred_fake = run.models["discriminator"](fake, label)
                with torch.no_grad():
                    pred_real = run.models["discriminator"](real, label)
            return pred_fake, pred_real
        both = Condition({"label": torch.cat([cond["label"], cond["label"]])})
        out = run.models["discriminator"](torch.cat([fake, real]), both)
        b = fake.shape[0]

        def half(part: slice) -> ganforge.DiscriminatorOutput:
            return ganforge.DiscriminatorOutput(scores=[s[part] for s in out.scores],
                                                features=[[f[part] for f in scale] for scale in out.features])

        return half(slice(0, b)), half(slice(b, None))

    def vgg_losses(self, fake: torch.Tensor, real: torch.Tensor, exemplar: torch.Tensor, self_ref: torch.Tensor
                   ) -> dict[str, torch.Tensor]:
        vgg = self.contextual.vgg
        fake_f = vgg(fake)
        with torch.no_grad():
            real_f = vgg(real)
            exemplar_f = same_input_features(vgg, exemplar, real, real_f)
        layer = PERCEPTUAL_LAYER[self.params.perceptual_layer]
        return {"g_fm": losses.feature_matching(fake_f, real_f, self_ref),
                "g_perc": F.mse_loss(fake_f[layer].float(), real_f[layer].float()),
                "g_context": self.contextual.from_features(fake_f, exemplar_f)}

    def correspondence_losses(self, corr: dict[str, torch.Tensor], cond: Condition) -> dict[str, torch.Tensor]:
        p, out = self.params, {}
        if p.lambda_domain > 0 and "adapted_image" in corr:
            out["g_domain"] = losses.domain_alignment(corr["adapted_label"], corr["adapted_image"])
        if p.lambda_mask > 0 and "warped_exemplar_label" in corr:
            out["g_mask"] = losses.warp_mask(corr["warped_exemplar_label"], cond["label"], cond["exemplar_label"],
                                             self.mask_ignore)
        if p.lambda_cycle > 0:
            small = corr["warp_cycle"].shape[-2:]
            out["g_cycle"] = F.l1_loss(corr["warp_cycle"].float(),
                                       F.adaptive_avg_pool2d(cond["exemplar"], small).float())
        return out

    # -- run hooks -----------------------------------------------------------------------
    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        real, cond = batch["image"], batch["cond"]
        with run.autocast():
            fake = batch.pop(FAKE, None)
            if fake is None:  # a D step without the G step before it
                with torch.no_grad():
                    fake, _ = self.translate(run, real, cond)
            pred_fake, pred_real = self.discriminate(run, fake.detach(), real, cond)
            d_fake = self.gan_loss(pred_fake.scores, real=False, for_discriminator=True)
            d_real = self.gan_loss(pred_real.scores, real=True, for_discriminator=True)
        loss = self.params.lambda_adv * (d_fake + d_real)
        return StepResult(loss, {"d_fake": d_fake.detach(), "d_real": d_real.detach()})

    @ganforge.hookimpl
    def ganforge_generator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        real, cond, p = batch["image"], batch["cond"], self.params
        self_ref = batch.get(SELF_REF, torch.zeros(real.shape[0], device=real.device))
        with run.frozen("discriminator"), run.autocast():
            fake, corr = self.translate(run, real, cond)
            batch[FAKE] = fake.detach()
            pred_fake, pred_real = self.discriminate(run, fake, real, cond, real_graph=False)
            logs = {"g_gan": self.gan_loss(pred_fake.scores, real=True, for_discriminator=False)}
            if self.feat is not None:
                logs["g_feat"] = self.feat(pred_fake.features, pred_real.features)
            logs.update(self.vgg_losses(fake, real, cond["exemplar"], self_ref))
            logs.update(self.correspondence_losses(corr, cond))
        weights = {"g_gan": p.lambda_adv, "g_feat": p.lambda_feat, "g_fm": p.lambda_fm, "g_perc": p.lambda_perc,
                   "g_context": p.lambda_context, "g_domain": p.lambda_domain, "g_mask": p.lambda_mask,
                   "g_cycle": p.lambda_cycle}
        total = sum(weights[k] * v for k, v in logs.items())
        return StepResult(total, {k: v.detach() for k, v in logs.items()})

    @ganforge.hookimpl
    def ganforge_sample(self, run: Run, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Rows: the label maps, the exemplars, the warped exemplars, the results, the real images."""
        real, cond = batch["image"], batch["cond"]
        with torch.no_grad(), run.autocast():
            fake, corr = self.translate(run, real, cond, sampling=True)
        return {**({"label map": cond["label"]} if "label" in cond else {}), "exemplar": cond["exemplar"],
                "warped exemplar": corr["warped_exemplar"].to(real.dtype), "generated": fake.to(real.dtype),
                "real": real}

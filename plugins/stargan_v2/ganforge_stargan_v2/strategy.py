"""The StarGAN v2 training recipe (paper Sec. 2-3, appendix A and the official solver).

Every step draws a target domain y~, two latent codes z1, z2 and two reference images
x1, x2 of domain y~ for each source image x of domain y, then

    D: L_adv(x, y, real) + L_adv(G(x, s~), y~, fake) + lambda_reg R1(x)              (Eq. 1, R1)
    G: L_adv(G(x, s~), y~, real) + lambda_sty |s~ - E_y~(G(x, s~))|                 (Eq. 2)
       - lambda_ds |G(x, s~1) - G(x, s~2)| + lambda_cyc |x - G(G(x, s~), E_y(x))|     (Eq. 3, 4)

with s~ = F_y~(z) in the *latent* step and s~ = E_y~(x_ref) in the *reference* step.
lambda_ds decays linearly to zero over ``ds_iter`` steps. L_adv is the non-saturating
loss on the multi-task D's output for the image's (target) domain.

The schedule is the official solver's (``Strategy.updates``): four optimiser updates per
step, D on the latent losses, D on the reference losses (R1 in each), G + F + E on the
latent losses, then G alone on the reference losses. In the reference update the style
encoder runs with detached weights: the official solver steps only G after it.

Every generator input goes through the run's conditioning path (``run.condition``) with
the recipe's target style and domain as overrides, so a config can add conditioners (a
SEAN region-style encoder reading the reference image) without touching this recipe.

Deviation: the references and target domains are drawn from the batch itself (a random
permutation gives x1 and y~, a random same-domain sample gives x2) instead of a second
class-balanced loader, so targets follow the data's domain frequencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo, StepResult
from ganforge.run import Run

TARGETS = "stargan_v2_targets"


class StarGANv2Params(ganforge.Params):
    lambda_reg: float = Field(1.0, ge=0, description="weight of the R1 penalty on real images (every step)")
    lambda_sty: float = Field(1.0, ge=0, description="weight of the style reconstruction loss")
    lambda_ds: float = Field(2.0, ge=0, description="initial weight of the diversity sensitive loss (2 on AFHQ, "
                             "1 on CelebA-HQ)")
    ds_iter: int = Field(100_000, ge=1, description="steps over which lambda_ds decays linearly to 0")
    lambda_cyc: float = Field(1.0, ge=0, description="weight of the cycle consistency loss")
    sample_styles: int = Field(3, ge=1, description="latent codes per target domain in sample grids")


@dataclass
class Targets:
    """What one step translates to (per source image): target domain y~, latent codes
    z1, z2 and reference images x1, x2 of domain y~."""

    domain: torch.Tensor
    z: torch.Tensor
    z2: torch.Tensor
    reference: torch.Tensor
    reference2: torch.Tensor


def draw_targets(image: torch.Tensor, domain: torch.Tensor, latent_dim: int) -> Targets:
    """Targets from the batch: a random permutation gives the first reference and its
    domain; the second reference is a random sample of that same domain (possibly the
    first one again, when the batch holds only one)."""
    b = image.shape[0]
    perm = torch.randperm(b, device=image.device)
    target = domain[perm]
    same = target[:, None] == domain[None, :]
    second = torch.rand(b, b, device=image.device).masked_fill(~same, -1.0).argmax(dim=1)
    z = torch.randn(2, b, latent_dim, device=image.device, dtype=image.dtype)
    return Targets(target, z[0], z[1], image[perm], image[second])


def adv_loss(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """Non-saturating GAN loss: BCE with logits against 1 (real) or 0 (fake)."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(real)))


def r1_penalty(logits: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): 0.5 E[||grad_x D_y(x)||^2] on real images."""
    (grad,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
    return 0.5 * grad.square().flatten(1).sum(1).mean()


def lambda_ds_at(initial: float, ds_iter: int, step: int) -> float:
    """The diversity weight after ``step`` completed steps: linear from ``initial`` to 0."""
    return initial * max(0.0, 1.0 - step / ds_iter)


def with_frozen_weights(module: nn.Module):
    """``module`` as a function whose weights get no gradient while gradients still flow
    through it to its inputs."""
    detached = {name: p.detach() for name, p in module.named_parameters()}
    return lambda *args: torch.func.functional_call(module, detached, args)


class StarGANv2(ganforge.Strategy):
    """StarGAN v2 recipe: adversarial, R1, style reconstruction, diversity sensitive and cycle losses on latent and reference steps."""

    Params: ClassVar = StarGANv2Params
    networks = {"generator": "generator", "discriminator": "discriminator", "mapping": "encoder",
                "style_encoder": "encoder", "fan": "encoder"}
    optional_networks = frozenset({"fan"})
    optimizers = {"generator": ("generator",), "mapping": ("mapping",), "style_encoder": ("style_encoder",),
                  "discriminator": ("discriminator",)}
    updates = (("discriminator", "latent"), ("discriminator", "reference"),
               ("generator", "latent"), ("generator", "reference"))
    requires = frozenset({"domain"})
    # FAN's face masks of the image being translated (the source; x_fake in the cycle step),
    # computed without gradient as in the official get_heatmap
    conditioners = {"fan": "real"}
    # added to the condition in ganforge_prepare_batch: the batch image, a latent code and
    # its style in the target domain
    provides = frozenset({"source", "z", "style"})
    # the recipe computes the target styles itself and hands them to G as overrides
    reads = {"mapping": frozenset({"style"}), "style_encoder": frozenset({"style"})}

    def __init__(self, params: StarGANv2Params, data: DataInfo):
        super().__init__(params, data)
        self.latent_dim = 0

    @classmethod
    def network_needs(cls, params: StarGANv2Params) -> dict[str, frozenset[str]]:
        """L_adv reads the discriminator's output for one domain."""
        return {"discriminator": frozenset({"multitask"})}

    # -- pieces of a step --------------------------------------------------------------
    @staticmethod
    def source_condition(image: torch.Tensor, cond: Condition) -> Condition:
        """``cond`` with the image to translate (a FAN conditioner adds its face masks on
        the way to the generator)."""
        return cond.replace(source=image)

    @staticmethod
    def latent_style(mapping: nn.Module, z: torch.Tensor, domain: torch.Tensor, cond: Condition) -> torch.Tensor:
        """s = F_y(z) through the encoder contract (any mapping network providing 'style')."""
        return mapping(None, cond.replace(z=z, domain=domain))["style"]

    @staticmethod
    def reference_style(encode, image: torch.Tensor, domain: torch.Tensor, cond: Condition) -> torch.Tensor:
        """s = E_y(x) through the encoder contract."""
        return encode(image, cond.replace(domain=domain))["style"]

    @staticmethod
    def translate(run: Run, cond: Condition, style: torch.Tensor, domain: torch.Tensor,
                  reference: torch.Tensor | None = None, sampling: bool = False) -> torch.Tensor:
        """G(x, s~) through the conditioning path: ``cond`` (its source is x) with the
        target style and domain as overrides; ``reference`` is the image conditioners
        routed to ``reference`` read (x itself when None)."""
        return run.generate(cond, cond["source"], reference, sampling=sampling, style=style, domain=domain)

    def target_styles(self, run: Run, t: Targets, cond: Condition, mode: str, encode) -> tuple[torch.Tensor, torch.Tensor]:
        if mode == "latent":
            m = run.models["mapping"]
            return self.latent_style(m, t.z, t.domain, cond), self.latent_style(m, t.z2, t.domain, cond)
        return (self.reference_style(encode, t.reference, t.domain, cond),
                self.reference_style(encode, t.reference2, t.domain, cond))

    @staticmethod
    def references(t: Targets, mode: str) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        return (t.reference, t.reference2) if mode == "reference" else (None, None)

    def generator_losses(self, run: Run, batch: dict[str, Any], mode: str) -> dict[str, torch.Tensor]:
        """L_adv, L_sty, L_ds and L_cyc of one mode ('latent' or 'reference')."""
        D = run.models["discriminator"]
        real, cond, t = batch["image"], batch["cond"], batch[TARGETS]
        encode = run.models["style_encoder"] if mode == "latent" else with_frozen_weights(run.models["style_encoder"])
        s_trg, s_trg2 = self.target_styles(run, t, cond, mode, encode)
        ref, ref2 = self.references(t, mode)
        fake = self.translate(run, cond, s_trg, t.domain, ref)
        adv = adv_loss(D(fake, cond.replace(domain=t.domain)).scores[0], real=True)
        sty = (self.reference_style(encode, fake, t.domain, cond) - s_trg).abs().mean()
        with torch.no_grad():
            fake2 = self.translate(run, cond, s_trg2.detach(), t.domain, ref2)
        ds = (fake - fake2).abs().mean()
        s_org = self.reference_style(encode, real, cond["domain"], cond)
        rec = self.translate(run, self.source_condition(fake, cond), s_org, cond["domain"], real)
        cyc = (rec - real).abs().mean()
        return {"adv": adv, "sty": sty, "ds": ds, "cyc": cyc}

    def lambda_ds(self, step: int) -> float:
        return lambda_ds_at(self.params.lambda_ds, self.params.ds_iter, step)

    # -- run hooks -----------------------------------------------------------------------
    @ganforge.hookimpl
    def ganforge_setup(self, run: Run) -> None:
        latent_dim = getattr(getattr(run.models["mapping"], "params", None), "latent_dim", None)
        if not isinstance(latent_dim, int):
            raise ganforge.ConfigError("strategy 'stargan_v2': models.mapping must declare params.latent_dim "
                                       "(the width of the z it maps), as 'stargan_v2_mapping' does")
        self.latent_dim = latent_dim

    @ganforge.hookimpl
    def ganforge_prepare_batch(self, run: Run, batch: dict[str, Any]) -> None:
        """Draws this step's targets and adds to the condition the source image, the first
        latent code and its style F_y~(z) (no gradient): the steps override the styles
        they train with, and evaluation and sampling run G on the condition as it is
        (latent-guided translations)."""
        cond = batch["cond"]
        targets = draw_targets(batch["image"], cond["domain"], self.latent_dim)
        with torch.no_grad():
            style = self.latent_style(run.generator_for_sampling("mapping"), targets.z, targets.domain, cond)
        batch["cond"] = self.source_condition(batch["image"], cond).replace(z=targets.z, style=style)
        batch[TARGETS] = targets

    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        """One of the official solver's two D updates (``batch["update"]``: latent or
        reference): real term with R1, and the fake of that mode."""
        mode = batch.get("update") or "latent"
        D = run.models["discriminator"]
        cond, t = batch["cond"], batch[TARGETS]
        # real branch in full precision: R1's double backward is sensitive to rounding
        real = batch["image"].detach().float().requires_grad_(True)
        logits = D(real, cond).scores[0]
        d_real = adv_loss(logits, real=True)
        r1 = r1_penalty(logits, real)
        with run.autocast():
            with torch.no_grad():
                if mode == "latent":
                    style = self.latent_style(run.models["mapping"], t.z, t.domain, cond)
                else:
                    style = self.reference_style(run.models["style_encoder"], t.reference, t.domain, cond)
                fake = self.translate(run, cond, style, t.domain, self.references(t, mode)[0])
            d_fake = adv_loss(D(fake, cond.replace(domain=t.domain)).scores[0], real=False)
        loss = d_real + d_fake + self.params.lambda_reg * r1
        return StepResult(loss, {f"{mode}_d_real": d_real.detach(), f"{mode}_r1": r1.detach(),
                                 f"{mode}_d_fake": d_fake.detach()})

    @ganforge.hookimpl
    def ganforge_generator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        """One of the two G updates: latent (G, F and E step) or reference (G alone)."""
        mode = batch.get("update") or "latent"
        p, lambda_ds = self.params, self.lambda_ds(run.step)
        with run.frozen("discriminator"), run.autocast():
            parts = self.generator_losses(run, batch, mode)
            total = (parts["adv"] + p.lambda_sty * parts["sty"] - lambda_ds * parts["ds"]
                     + p.lambda_cyc * parts["cyc"])
        logs: dict[str, torch.Tensor | float] = {f"{mode}_{k}": v.detach() for k, v in parts.items()}
        logs["lambda_ds"] = lambda_ds
        return StepResult(total, logs, optimizers=None if mode == "latent" else ("generator",))

    @ganforge.hookimpl
    def ganforge_sample(self, run: Run, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Rows of the grid: the sources; for every target domain, ``sample_styles``
        latent-guided translations (one z per row, shared by the row); the references
        (the batch rolled by one) and the reference-guided translations. Uses the EMA
        copies when there are any."""
        M, S = (run.generator_for_sampling(r) for r in ("mapping", "style_encoder"))
        image = batch["image"]
        b = image.shape[0]
        with torch.no_grad(), run.autocast():
            cond = self.source_condition(image, batch["cond"])
            rows = {"source": image}
            z = torch.randn(self.params.sample_styles, 1, self.latent_dim, device=image.device)
            for d in range(self.data.num_domains):
                domain = torch.full((b,), d, device=image.device, dtype=torch.long)
                for k, zk in enumerate(z):
                    style = self.latent_style(M, zk.expand(b, -1), domain, cond)
                    rows[f"domain {d}, z {k + 1}"] = self.translate(run, cond, style, domain, sampling=True)
            reference, ref_domain = image.roll(1, 0), cond["domain"].roll(1, 0)
            style = self.reference_style(S, reference, ref_domain, cond)
            rows["reference"] = reference
            rows["reference-guided"] = self.translate(run, cond, style, ref_domain, reference, sampling=True)
        return {name: r.to(image.dtype) for name, r in rows.items()}

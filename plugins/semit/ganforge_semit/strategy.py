"""SEMIT's training recipe (official ``SEMIT_model.py``; paper Sec. 3): FUNIT's few-shot
objective with octave generators, a content-entropy term, and a cycle-consistency term
that uses every image, labelled or not.

Each step draws one octave ratio alpha ~ U(0, 1) and pairs each content image x_a with a
class image x_b (the batch rolled by one). With labels l_a, l_b:

* D: hinge loss on x_b (real) and G(x_a, x_b) (fake), both scored in class l_b, plus
  10 x the squared gradient norm of D's real score (R1, official ``calc_grad2``);
* G: adversarial terms of the translation (class l_b) and the reconstruction G(x_a, x_a)
  (class l_a), L1 reconstruction and cycle G(G(x_a, x_b), x_a) ~ x_a, feature matching of
  D's pooled features, and the entropy of the content code (a sharp code per location).

Rows whose label is -1 (unlabelled; none once `pseudo_labelling` runs before) take part
in the reconstruction, cycle and entropy terms only: that is how SEMIT learns from
unlabelled images.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field

import ganforge
from ganforge.run import Run

from .octave import Octave

ALPHA = "semit_alpha"


class SEMITParams(ganforge.Params):
    field: Literal["class_label", "domain"] = Field("class_label", description="the source classes' label")
    gan_w: float = Field(1.0, ge=0, description="adversarial weight (official gan_w)")
    r_w: float = Field(0.1, ge=0, description="image reconstruction weight (official r_w)")
    cycle_w: float = Field(1.0, ge=0, description="cycle term, relative to the reconstruction (official 1.0)")
    fm_w: float = Field(0.1, ge=0, description="feature matching weight (official fm_w)")
    entropy_w: float = Field(0.01, ge=0, description="content-code entropy weight (official 0.01)")
    r1_w: float = Field(10.0, ge=0, description="weight of D's real gradient penalty (official 10)")


def content_entropy(content: Octave) -> torch.Tensor:
    """Entropy of the channel softmax of the content code, pooled 4x4 (high) and 2x2 (low)."""
    total = 0.0
    for code, pool in zip(content, (4, 2)):
        logits = F.avg_pool2d(code, pool)
        total = total - (F.softmax(logits, 1) * F.log_softmax(logits, 1)).mean()
    return total


def pooled(features: torch.Tensor) -> torch.Tensor:
    return features.mean((2, 3))


class SEMIT(ganforge.Strategy):
    """Few-shot translation with octave generators, trained from partly labelled classes."""

    builds_own_inputs = "it drives the generator through G.translate(source, exemplar)"

    Params: ClassVar = SEMITParams
    networks: ClassVar = {"generator": "generator", "discriminator": "discriminator"}
    optimizers: ClassVar = {"generator": ("generator",), "discriminator": ("discriminator",)}
    provides = frozenset({"source", "exemplar"})

    @classmethod
    def requirements(cls, params: SEMITParams, data: ganforge.DataInfo) -> frozenset[str]:
        return frozenset({params.field})

    def _labels(self, batch: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
        label = batch["cond"][self.params.field]
        return label, label.roll(1, 0)

    def _score(self, run: Run, image: torch.Tensor, label: torch.Tensor) -> ganforge.DiscriminatorOutput:
        return run.models["discriminator"](image, ganforge.Condition(**{self.params.field: label}))

    @ganforge.hookimpl
    def ganforge_prepare_batch(self, run: Run, batch: dict[str, Any]) -> None:
        """x_b = the batch rolled by one; one octave ratio for the whole step."""
        image = batch["image"]
        batch["cond"] = batch["cond"].replace(source=image, exemplar=image.roll(1, 0))
        batch[ALPHA] = run.models["generator"].draw_alpha()

    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run: Run, batch: dict[str, Any]) -> ganforge.StepResult:
        G, p = run.models["generator"], self.params
        xa, xb, alpha = batch["image"], batch["cond"]["exemplar"], batch[ALPHA]
        _, lb = self._labels(batch)
        known = lb >= 0
        if not bool(known.any()):
            return ganforge.StepResult(None)
        with torch.no_grad(), run.autocast():
            xt = G.translate(xa[known], xb[known], alpha)
        real = xb[known].detach().requires_grad_(True)
        with run.autocast():
            d_real = self._score(run, real, lb[known]).scores[0]
            d_fake = self._score(run, xt, lb[known]).scores[0]
        grad, = torch.autograd.grad(d_real.float().mean(), real, create_graph=True)
        r1 = grad.pow(2).sum() / len(real)
        real_loss, fake_loss = F.relu(1 - d_real).mean(), F.relu(1 + d_fake).mean()
        loss = p.gan_w * (real_loss + fake_loss) + p.r1_w * r1
        logs = {"d_real": real_loss, "d_fake": fake_loss, "r1": r1}
        return ganforge.StepResult(loss, {k: v.detach() for k, v in logs.items()})

    @ganforge.hookimpl
    def ganforge_generator_step(self, run: Run, batch: dict[str, Any]) -> ganforge.StepResult:
        G, p = run.models["generator"], self.params
        xa, xb, alpha = batch["image"], batch["cond"]["exemplar"], batch[ALPHA]
        la, lb = self._labels(batch)
        with run.autocast(), run.frozen("discriminator"):
            content = G.enc_content(xa, alpha)
            s_a, s_b = G.class_code(xa, alpha), G.class_code(xb, alpha)
            xt, xr = G.decode(content, s_b, alpha), G.decode(content, s_a, alpha)
            cycle = G.decode(G.enc_content(xt, alpha), s_a, alpha)
            logs = {"rec": (xr - xa).abs().mean(), "cyc": (cycle - xa).abs().mean(),
                    "entropy": content_entropy(content)}
            adv, fm = [], []
            for fake, real, label in ((xt, xb, lb), (xr, xa, la)):  # translation, reconstruction
                known = label >= 0
                if bool(known.any()):
                    out = self._score(run, fake[known], label[known])
                    target = self._score(run, real[known], label[known]).extra["features"].detach()
                    adv.append(-out.scores[0].mean())
                    fm.append((pooled(out.extra["features"]) - pooled(target)).abs().mean())
            logs["adv"] = sum(adv) / 2 if adv else torch.zeros((), device=xa.device)
            logs["fm"] = sum(fm) if fm else torch.zeros((), device=xa.device)
        loss = (p.gan_w * logs["adv"] + p.r_w * (logs["rec"] + p.cycle_w * logs["cyc"]) + p.fm_w * logs["fm"]
                + p.entropy_w * logs["entropy"])
        return ganforge.StepResult(loss, {k: v.detach() for k, v in logs.items()})

    @ganforge.hookimpl
    def ganforge_sample(self, run: Run, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Rows: content images, class images, translations (EMA generator, inference alpha)."""
        image = batch["image"]
        exemplar = image.roll(1, 0)
        return {"content": image, "class exemplar": exemplar,
                "translated": run.generator_for_sampling().translate(image, exemplar)}

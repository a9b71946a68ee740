"""The NICE-GAN training recipe (paper Sec. 3.2-3.3 and the official NICE.py).

Two domains X (``domain_a``) and Y (``domain_b``); D_x = C_x(E_x), D_y = C_y(E_y); the
generator G_{x->y} decodes E_x's embedding into Y. For a source image x the losses are

    D:  L_gan(D_x(x), real) + L_gan(D_y(G_{x->y}(E_x(x))), fake)
    G:  lambda_adv L_gan(D_y(G_{x->y}(E_x(x))), real)
        + lambda_cyc |G_{y->x}(E_y(G_{x->y}(E_x(x)))) - x|_1          (cycle)
        + lambda_rec |G_{y->x}(E_x(x)) - x|_1                          (reconstruction)

and the same with X and Y swapped. L_gan is the least-squares GAN loss summed over the
three outputs of a discriminator: the local head, the global head and the CAM logit.

Decoupled training (the paper's key point): E_x, E_y are parts of the discriminators, so
they are trained by the discriminator step only (the D step's loss reaches them through
D(x)); in the generator step every discriminator, encoders included, is frozen, and the
generator optimiser does not hold them (``optimizers`` lists the discriminator roles
only under "discriminator"). Gradients still flow through the frozen encoders into the
generators (cycle loss). ``decoupled: false`` is the paper's ablation (coupled
training): the generator optimiser also updates E_x, E_y, so they follow both players.

Batches: images are split by their ``domain``; each image is translated to the other
domain, and each term is averaged over the images it applies to. A batch of one image of
each domain is exactly the official step; a direction with no image in the batch adds
nothing and logs 0. Every step returns the same log keys and a loss that reaches the
same parameters whatever the batch holds, so data-parallel ranks stay aligned.
"""

from __future__ import annotations

from typing import Any, ClassVar, Iterator, NamedTuple

import torch
import torch.nn.functional as F
from pydantic import Field, model_validator

import ganforge
from ganforge import Condition, DataInfo, DiscriminatorOutput, StepResult
from ganforge.run import Run, frozen_parameters

DOMAINS = ("a", "b")


def lsgan(outputs: list[torch.Tensor], real: bool) -> torch.Tensor:
    """Least-squares GAN loss summed over a discriminator's outputs: mean (o - 1)^2 for
    real targets, mean o^2 for fake ones (Mao et al. 2017, the official MSE terms)."""
    return sum(F.mse_loss(o, torch.full_like(o, float(real))) for o in outputs)


def outputs(out: DiscriminatorOutput) -> list[torch.Tensor]:
    """The three adversarial outputs of a NICE-GAN discriminator: local, global, CAM."""
    return [*out.scores, out.extra["cam_logit"]]


class Stream(NamedTuple):
    """One translation direction x -> y of a batch: the images of domain x and the
    roles involved."""

    name: str  # "ab" or "ba"
    mask: torch.Tensor  # which images of the batch are of domain x
    x: torch.Tensor
    d_src: str
    d_tgt: str
    g_forward: str  # G_{x->y}
    g_back: str  # G_{y->x}


class NICEGANParams(ganforge.Params):
    domain_a: int = Field(0, ge=0, description="domain index of X (trainA)")
    domain_b: int = Field(1, ge=0, description="domain index of Y (trainB)")
    adv_weight: float = Field(1.0, ge=0, description="lambda_adv, weight of the generator's LSGAN terms (official 1)")
    cycle_weight: float = Field(10.0, ge=0, description="lambda_cyc, weight of the cycle loss (official 10)")
    recon_weight: float = Field(10.0, ge=0, description="lambda_rec, weight of the reconstruction loss (official 10)")
    decoupled: bool = Field(True, description="decoupled training (the paper's): E_x, E_y are updated by the "
                            "discriminator step only; false = coupled training (the paper's ablation): the "
                            "generator step updates them too")

    @model_validator(mode="after")
    def _two_domains(self) -> "NICEGANParams":
        if self.domain_a == self.domain_b:
            raise ValueError(f"domain_a and domain_b must differ, both are {self.domain_a}")
        return self


class NICEGAN(ganforge.Strategy):
    """NICE-GAN recipe: LSGAN, cycle and reconstruction losses, encoders trained decoupled.

    The generators decode the source domain discriminator's embedding; see the module
    docstring for the objective and the batch split."""

    Params: ClassVar = NICEGANParams
    builds_own_inputs = "its generators decode the discriminators' embeddings"
    networks = {"generator_ab": "generator", "generator_ba": "generator",
                "discriminator_a": "discriminator", "discriminator_b": "discriminator"}
    optimizers = {"generator": ("generator_ab", "generator_ba"),
                  "discriminator": ("discriminator_a", "discriminator_b")}
    requires = frozenset({"domain"})
    provides = frozenset({"embedding"})  # E_x(x), added by the steps before each generator call

    def __init__(self, params: NICEGANParams, data: DataInfo):
        super().__init__(params, data)
        top = max(params.domain_a, params.domain_b)
        if data.num_domains and top >= data.num_domains:
            raise ganforge.ConfigError(f"strategy 'nice_gan': domain {top} does not exist, the data has "
                                       f"{data.num_domains} domains")

    @ganforge.hookimpl
    def ganforge_setup(self, run: Run) -> None:
        for role in ("discriminator_a", "discriminator_b"):
            if not callable(getattr(run.models[role], "encode", None)):
                raise ganforge.ConfigError(f"strategy 'nice_gan': models.{role} must expose encode(image) (its early "
                                           "layers are the domain's encoder), as discriminator 'nice_gan' does")

    def streams(self, batch: dict[str, Any]) -> Iterator[Stream]:
        """The directions this batch has images for."""
        image, domain = batch["image"], batch["cond"]["domain"]
        ids = {"a": self.params.domain_a, "b": self.params.domain_b}
        for src, tgt in (DOMAINS, DOMAINS[::-1]):
            mask = domain == ids[src]
            if mask.any():
                yield Stream(src + tgt, mask, image[mask], f"discriminator_{src}", f"discriminator_{tgt}",
                             f"generator_{src}{tgt}", f"generator_{tgt}{src}")

    @staticmethod
    def decode(run: Run, role: str, embedding: torch.Tensor) -> torch.Tensor:
        return run.models[role](Condition(embedding=embedding))

    @staticmethod
    def finish(run: Run, total: torch.Tensor | None, roles: tuple[str, ...], logs: dict) -> StepResult:
        """The step's result; without any image of either domain, a zero loss that still
        reaches every parameter of ``roles`` (as a real step would)."""
        if total is None:
            total = sum(p.sum() for r in roles for p in run.models[r].parameters() if p.requires_grad) * 0.0
        return StepResult(total, logs)

    @staticmethod
    def encoder_parameters(run: Run) -> list[torch.nn.Parameter]:
        """E_x and E_y: the discriminators' early layers."""
        return [p for role in ("discriminator_a", "discriminator_b") for p in run.models[role].encoder.parameters()]

    def frozen_in_generator_step(self, run: Run) -> Iterator[torch.nn.Parameter]:
        """Every discriminator parameter (decoupled), or only the heads (coupled)."""
        coupled = set() if self.params.decoupled else {id(p) for p in self.encoder_parameters(run)}
        return (p for role in ("discriminator_a", "discriminator_b") for p in run.models[role].parameters()
                if id(p) not in coupled)

    # -- run hooks -----------------------------------------------------------------------
    @ganforge.hookimpl
    def ganforge_param_groups(self, run: Run, optimizer: str) -> list[dict[str, Any]] | None:
        """Coupled training only: the generator optimiser holds E_x and E_y as well (the
        discriminator optimiser keeps them, as in decoupled training)."""
        if self.params.decoupled:
            return None
        params = [p for role in self.optimizers[optimizer] for p in run.models[role].parameters()]
        if optimizer == "generator":
            params += self.encoder_parameters(run)
        return [{"params": params}]

    @staticmethod
    def by_target(streams: list[Stream]) -> list[Stream]:
        """The directions ordered by the discriminator that judges their fakes, D_x first:
        the official step calls ``disA(fake_B2A)`` before ``disB(fake_A2B)``."""
        return sorted(streams, key=lambda s: DOMAINS.index(s.name[1]))

    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        """In the official order: D_x(x) and D_y(y), both translations, then D_x on the fake
        x and D_y on the fake y. Each call in train mode advances the discriminator's
        spectral-norm power iteration once, so the order decides which estimate of sigma
        each input meets (every discriminator sees its real images before the fakes)."""
        streams = list(self.streams(batch))
        total, logs = None, dict.fromkeys(("d_real_a", "d_fake_b", "d_real_b", "d_fake_a"), 0.0)
        with run.autocast():
            real = {s.name: run.models[s.d_src](s.x) for s in streams}  # E_x is trained here, through D_x(x)
            with torch.no_grad():
                fake = {s.name: self.decode(run, s.g_forward, real[s.name].extra["embedding"]) for s in streams}
            judged = {s.name: run.models[s.d_tgt](fake[s.name]) for s in self.by_target(streams)}
            for s in streams:
                d_real = lsgan(outputs(real[s.name]), real=True)
                d_fake = lsgan(outputs(judged[s.name]), real=False)
                total = d_real + d_fake if total is None else total + d_real + d_fake
                logs.update({f"d_real_{s.name[0]}": d_real.detach(), f"d_fake_{s.name[1]}": d_fake.detach()})
        return self.finish(run, total, ("discriminator_a", "discriminator_b"), logs)

    def generator_losses(self, run: Run, streams: list[Stream]) -> dict[str, dict[str, torch.Tensor]]:
        """Direction -> its L_gan, L_cyc and L_rec (discriminators frozen by the caller),
        with the networks called as the official step calls them: the whole D_x on x (not
        only E_x: its heads' spectral norms advance too, four power iterations per step in
        all, as in NICE.py), the translations, the targets' discriminators, the cycles, then
        the reconstructions."""
        real = {s.name: run.models[s.d_src](s.x).extra["embedding"] for s in streams}
        fake = {s.name: self.decode(run, s.g_forward, real[s.name]) for s in streams}
        judged = {s.name: run.models[s.d_tgt](fake[s.name]) for s in self.by_target(streams)}
        cycled = {s.name: self.decode(run, s.g_back, judged[s.name].extra["embedding"])
                  for s in self.by_target(streams)}
        return {s.name: {"adv": lsgan(outputs(judged[s.name]), real=True),
                         "cyc": (cycled[s.name] - s.x).abs().mean(),
                         "rec": (self.decode(run, s.g_back, real[s.name]) - s.x).abs().mean()} for s in streams}

    @ganforge.hookimpl
    def ganforge_generator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        p = self.params
        total, logs = None, {f"g_{k}_{d}": 0.0 for d in ("ab", "ba") for k in ("adv", "cyc", "rec")}
        with frozen_parameters(self.frozen_in_generator_step(run)), run.autocast():
            for name, parts in self.generator_losses(run, list(self.streams(batch))).items():
                loss = p.adv_weight * parts["adv"] + p.cycle_weight * parts["cyc"] + p.recon_weight * parts["rec"]
                total = loss if total is None else total + loss
                logs.update({f"g_{k}_{name}": v.detach() for k, v in parts.items()})
            return self.finish(run, total, ("generator_ab", "generator_ba"), logs)

    @ganforge.hookimpl
    def ganforge_sample(self, run: Run, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Rows: the images, their translations to the other domain, and the cycle back
        (images of neither domain are repeated unchanged)."""
        image = batch["image"]
        translated, cycled = image.clone(), image.clone()
        with torch.no_grad(), run.autocast():
            for s in self.streams(batch):
                fake = self.decode(run, s.g_forward, run.models[s.d_src].encode(s.x).embedding)
                back = self.decode(run, s.g_back, run.models[s.d_tgt].encode(fake).embedding)
                translated[s.mask], cycled[s.mask] = fake.to(image.dtype), back.to(image.dtype)
        return {"input": image, "translated": translated, "cycled back": cycled}

"""The paper's training recipe (Sec. 3.3, official gan_training/train.py and config.py):

    D: BCE(D(x), 1) + BCE(D(G(z, c)), 0)            + R1 on reals (the trainer's train.r1)
    G: BCE(D(G(z, c)), 1) + 0.03 L_compact + 0.1 L_3d-consistency

with cameras c drawn from the training distribution. L_3d-consistency renders each scene a
second time from a camera rotated by up to ``max_view_change`` turns of azimuth.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field

import ganforge
from ganforge import StepResult
from ganforge.run import Run

from .camera import camera_pose
from .generator import Controllable3DGenerator
from .losses import compactness, consistency_3d


def bce(scores: list[torch.Tensor], real: bool) -> torch.Tensor:
    """GAN-stability's 'standard' loss averaged over score maps (other papers' Ds fit)."""
    return sum(F.binary_cross_entropy_with_logits(s, torch.full_like(s, float(real))) for s in scores) / len(scores)


class Controllable3DRecipeParams(ganforge.Params):
    weight_compactness: float = Field(0.03, ge=0, description="weight of the compactness loss (official 0.03)")
    weight_3dconsistency: float = Field(0.1, ge=0, description="weight of the 3D consistency loss (official 0.1)")
    max_view_change: float = Field(30 / 360, ge=0, le=0.5, description="largest azimuth change (turns) of the second view")
    range_v: tuple[float, float] = Field((0.15, 0.371), description="camera elevation range (official Blender setting)")


class Controllable3DRecipe(ganforge.Strategy):
    """Unsupervised 3D-controllable GAN: adversarial + R1, compactness, 3D consistency."""

    Params: ClassVar = Controllable3DRecipeParams
    networks = {"generator": "generator", "discriminator": "discriminator"}
    optimizers = {"generator": ("generator",), "discriminator": ("discriminator",)}
    # z is drawn here; 'style' is computed inside the generator from z (one code per layer)
    # and fed to its norm slot, declared here because the core has no way for a generator
    # to provide a field to its own nested slots
    provides = frozenset({"z", "style"})

    def cameras(self, b: int, device: torch.device) -> tuple[tuple, tuple]:
        """Two cameras per scene: a random one and the same rotated in azimuth."""
        u = torch.rand(b, device=device)
        v = torch.empty(b, device=device).uniform_(*self.params.range_v)
        du = (torch.rand(b, device=device) * 2 - 1) * self.params.max_view_change
        return camera_pose(u, v), camera_pose(u + du, v)

    @ganforge.hookimpl
    def ganforge_setup(self, run: Run) -> None:
        if not isinstance(run.models["generator"], Controllable3DGenerator):
            raise ganforge.ConfigError("strategy 'controllable_3d': models.generator must be 'controllable_3d' "
                                       "(the recipe renders its scenes from two cameras)")
        if run.config.train.r1.gamma <= 0:
            raise ganforge.ConfigError("strategy 'controllable_3d': set train.r1.gamma > 0 (the paper's R1 on reals)")

    @ganforge.hookimpl
    def ganforge_prepare_batch(self, run: Run, batch: dict[str, Any]) -> None:
        b = batch["image"].shape[0]
        batch["cond"] = batch["cond"].replace(z=torch.randn(b, run.models["generator"].z_dim, device=run.device))

    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        G, D = run.models["generator"], run.models["discriminator"]
        real, cond = batch["image"], batch["cond"]
        with torch.no_grad():
            fake = G(cond)
        d_fake, d_real = bce(D(fake, cond).scores, False), bce(D(real, cond).scores, True)
        return StepResult(d_fake + d_real, {"d_fake": d_fake.detach(), "d_real": d_real.detach()})

    @ganforge.hookimpl
    def ganforge_generator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        G, D, p = run.models["generator"], run.models["discriminator"], self.params
        z = torch.randn_like(batch["cond"]["z"])
        cam0, cam1 = self.cameras(z.shape[0], z.device)
        with run.frozen("discriminator"):
            scene = G.scene(z)
            view0 = G.render(scene, *cam0)
            adv = bce(D(view0["image"], batch["cond"]).scores, True)
            compact = compactness(view0["prim_alpha"])
            loss = adv + p.weight_compactness * compact
            logs: dict[str, Any] = {"g_adv": adv.detach(), "compactness": compact.detach()}
            if p.weight_3dconsistency > 0:
                view1 = G.render(scene, *cam1)
                consist = consistency_3d(view0, view1, cam0, cam1, G.params.focal, G.params.far)
                loss = loss + p.weight_3dconsistency * consist
                logs["consistency_3d"] = consist.detach()
        return StepResult(loss, logs)

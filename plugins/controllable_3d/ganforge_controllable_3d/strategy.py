"""The paper's training recipe (Sec. 3.3, official gan_training/train.py and config.py):

    D: BCE(D(x, y), 1) + BCE(D(G(z, c)), 0)          + R1 on reals (the trainer's train.r1)
    G: BCE(D(G(z, c)), 1) + 0.03 L_compact + 0.1 L_3d-consistency

with cameras c drawn from the training distribution and, in every sample, a random 0..N-1 of
the objects hidden. With two data labels (``domain`` 0 = scene, 1 = pure background, the
official ``nlabels: 2``) the background layer alone is shown to D as a fake of label 1.
L_3d-consistency compares the 2D generator's layers of each object with those of the same
object turned by up to 30 degrees about its vertical axis (official ``rot_30_1``); as in the
official code it trains the 2D generator only (the 3D scene is detached for it).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field

import ganforge
from ganforge import Condition, StepResult
from ganforge.run import Run

from .camera import object_to_camera, sample_cameras
from .generator import Controllable3DGenerator
from .generator_3d import turn_objects
from .losses import compactness, consistency_3d


def bce(scores: list[torch.Tensor], real: bool) -> torch.Tensor:
    """GAN-stability's 'standard' loss averaged over score maps (other papers' Ds fit)."""
    return sum(F.binary_cross_entropy_with_logits(s, torch.full_like(s, float(real))) for s in scores) / len(scores)


class Controllable3DRecipeParams(ganforge.Params):
    weight_compactness: float = Field(0.03, ge=0, description="weight of the compactness loss (official 0.03)")
    weight_3dconsistency: float = Field(0.1, ge=0, description="weight of the 3D consistency loss (official 0.1)")
    max_object_rotation: float = Field(30.0, ge=0, le=180, description="largest turn (degrees) of the consistency view")
    range_v: tuple[float, float] = Field((0.15, 0.371), description="camera elevation range (official Blender setting)")


class Controllable3DRecipe(ganforge.Strategy):
    """Unsupervised 3D-controllable GAN: adversarial + R1, compactness, 3D consistency."""

    Params: ClassVar = Controllable3DRecipeParams
    builds_own_inputs = "it samples and renders 3D scenes through G.scene and G.render"
    networks = {"generator": "generator", "discriminator": "discriminator"}
    optimizers = {"generator": ("generator",), "discriminator": ("discriminator",)}
    provides = frozenset({"z"})

    @ganforge.hookimpl
    def ganforge_setup(self, run: Run) -> None:
        G = run.models["generator"]
        if not isinstance(G, Controllable3DGenerator):
            raise ganforge.ConfigError("strategy 'controllable_3d': models.generator must be 'controllable_3d' "
                                       "(the recipe renders its scenes and turns its objects)")
        if run.config.train.r1.gamma <= 0:
            raise ganforge.ConfigError("strategy 'controllable_3d': set train.r1.gamma > 0 (the paper's R1 on reals)")
        self.pure_background = "domain" in run.data.fields and run.data.num_domains == 2
        if self.pure_background and G.params.background != "learned":
            raise ganforge.ConfigError("strategy 'controllable_3d': the data has pure-background images (2 labels); "
                                       "set models.generator.background: learned (official bg_cube: True)")

    @ganforge.hookimpl
    def ganforge_prepare_batch(self, run: Run, batch: dict[str, Any]) -> None:
        b = batch["image"].shape[0]
        batch["cond"] = batch["cond"].replace(z=torch.randn(b, run.models["generator"].z_dim, device=run.device))

    def generate(self, G: Controllable3DGenerator, z: torch.Tensor) -> tuple[dict, dict, tuple]:
        """A training render: scene of z with random objects hidden, from a random camera."""
        cam = sample_cameras(z.shape[0], z.device, range_v=self.params.range_v, radius=G.params.cam_radius)
        cam = tuple(c.to(z.dtype) for c in cam)
        scene = G.scene(z)
        shown = G.drop_random_objects(scene) if G.params.drop_objects else scene
        return scene, G.render(shown, *cam), cam

    def latents(self, z: torch.Tensor) -> torch.Tensor:
        """With two labels every latent gives two fakes (scene and background), so half as many
        latents as real images are drawn (official: batch 2 x 32 reals, 32 z)."""
        return z[: max(1, z.shape[0] // 2)] if self.pure_background else z

    def fakes(self, view: dict[str, torch.Tensor], cond: Condition) -> list[tuple[torch.Tensor, Condition]]:
        """What D sees of a render: the image (label 0) and, with two labels, the background alone (label 1)."""
        if not self.pure_background:
            return [(view["image"], cond)]
        zeros = torch.zeros(view["image"].shape[0], dtype=torch.long, device=view["image"].device)
        return [(view["image"], Condition(domain=zeros)), (view["background"], Condition(domain=zeros + 1))]

    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        G, D = run.models["generator"], run.models["discriminator"]
        real, cond = batch["image"], batch["cond"]
        with torch.no_grad():
            _, view, _ = self.generate(G, self.latents(cond["z"]))
        d_fake = bce([s for image, c in self.fakes(view, cond) for s in D(image, c).scores], False)
        d_real = bce(D(real, cond).scores, True)
        return StepResult(d_fake + d_real, {"d_fake": d_fake.detach(), "d_real": d_real.detach()})

    @ganforge.hookimpl
    def ganforge_generator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        G, D, p = run.models["generator"], run.models["discriminator"], self.params
        z = torch.randn_like(self.latents(batch["cond"]["z"]))
        with run.frozen("discriminator"):
            scene, view, cam = self.generate(G, z)
            adv = bce([s for image, c in self.fakes(view, batch["cond"]) for s in D(image, c).scores], True)
        compact = compactness(view["prim_alpha"])
        loss = adv + p.weight_compactness * compact
        logs: dict[str, Any] = {"g_adv": adv.detach(), "compactness": compact.detach()}
        if p.weight_3dconsistency > 0:
            consist = self.consistency(G, scene, cam)
            loss = loss + p.weight_3dconsistency * consist
            logs["consistency_3d"] = consist.detach()
        return StepResult(loss, logs)

    def consistency(self, G: Controllable3DGenerator, scene: dict[str, torch.Tensor], cam: tuple) -> torch.Tensor:
        """L_3d-consistency between the scene and the same scene with every object turned, both
        rendered in one batch; the 3D scene is detached so only the 2D generator learns from it."""
        fixed = {k: v if k == "style" else v.detach() for k, v in scene.items()}
        turned = turn_objects(fixed, torch.rand_like(fixed["t"][..., 0]) * math.radians(self.params.max_object_rotation))
        both = {k: torch.cat([fixed[k], turned[k]]) for k in fixed}
        layers = G.render(both, torch.cat([cam[0]] * 2), torch.cat([cam[1]] * 2))["layers"]
        B = scene["t"].shape[0]
        halves = [{k: v[i * B:(i + 1) * B].flatten(0, 1) for k, v in layers.items()} for i in (0, 1)]
        return consistency_3d(halves[0], halves[1], object_to_camera(fixed, *cam), object_to_camera(turned, *cam),
                              G.params.focal)

"""The foreground recipe ``edgegan`` (Sec. 3.1 and the TF code's ``define_losses``).

Per step, with z ~ N(0, I) and the batch's classes y, v = (z, onehot(y)):

* critics (WGAN-GP, lambda_gp = 10 each): D_j on (edge | image) pairs, D_I on images and
  D_E on edges (both upsampled bicubically to ``dis_size``): E[D(fake)] - E[D(real)] + GP;
* classifier: focal cross-entropy (gamma 2) on the real images' classes (L_ac^D);
* generators: -E[D_j] - E[D_E] - E[D_I] on G_E(v), G_I(v), plus 0.5 cross-entropy of the
  classifier on G_I(v) (L_ac^G);
* encoder: 10 |z - E(G_E(v))|_1 (the generated edge is detached: only E learns from it).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field

import ganforge
from ganforge import Condition, DataInfo, StepResult
from ganforge.run import Run

from .crops import object_triplets
from .layers import to_edge_image

CRITICS = {"joint_discriminator": "joint_weight", "image_discriminator": "image_weight",
           "edge_discriminator": "edge_weight"}


class EdgeGANParams(ganforge.Params):
    size: int = Field(64, ge=16, description="side of the object images and edges (TF output_height)")
    dis_size: int = Field(128, ge=16, description="side D_I and D_E see (TF image_dis_size, edge_dis_size)")
    z_dim: int = Field(100, ge=1, description="noise size drawn for z (TF z_dim)")
    edge_channels: int = Field(3, ge=1, description="channels of edge images (the TF code: RGB)")
    crop: bool = Field(True, description="cut each scene's main object out (needs instance, boxes); "
                       "False: the batch's image and 'edge' already are object crops")
    lambda_gp: float = Field(10.0, ge=0, description="gradient penalty weight of each critic (TF lambda_gp)")
    joint_weight: float = Field(1.0, ge=0, description="weight of D_j's loss (TF joint_dweight)")
    image_weight: float = Field(1.0, ge=0, description="weight of D_I's loss (TF image_dweight)")
    edge_weight: float = Field(1.0, ge=0, description="weight of D_E's loss (TF edge_dweight)")
    lambda_ac_d: float = Field(1.0, ge=0, description="weight of the classifier's focal loss (TF ld1)")
    lambda_ac_g: float = Field(0.5, ge=0, description="weight of the generator's classification loss (TF ld2)")
    focal_gamma: float = Field(2.0, ge=0, description="focal loss exponent (TF ld_focal)")
    lambda_z: float = Field(10.0, ge=0, description="weight of the encoder's latent L1 (TF stage1_zl_loss)")


def wgan_gp(critic, real: torch.Tensor, fake: torch.Tensor, lambda_gp: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(E[D(fake)] - E[D(real)], lambda_gp E[(||grad D(x_hat)|| - 1)^2]) on random blends x_hat."""
    wdist = critic(fake).scores[0].mean() - critic(real).scores[0].mean()
    alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device, dtype=real.dtype)
    blend = (real + alpha * (fake - real)).requires_grad_(True)
    grad, = torch.autograd.grad(critic(blend).scores[0].sum(), blend, create_graph=True)
    gp = (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()
    return wdist, lambda_gp * gp


def focal_cross_entropy(logits: torch.Tensor, target: torch.Tensor, gamma: float) -> torch.Tensor:
    """mean((1 - p_y)^gamma * CE): the classifier's loss on real images (TF get_acgan_loss_focal)."""
    ce = F.cross_entropy(logits, target, reduction="none")
    return ((1 - torch.exp(-ce)) ** gamma * ce).mean()


class EdgeGANRecipe(ganforge.Strategy):
    """EdgeGAN foreground recipe: WGAN-GP joint/image/edge critics, focal AC classifier, latent L1 encoder."""

    Params: ClassVar = EdgeGANParams
    builds_own_inputs = "it drives the generator through G.pair(z, class)"
    feeds = frozenset({"z"})  # drawn in fake_pair, encoded by E in the application
    networks = {"generator": "generator", "encoder": "encoder", "joint_discriminator": "discriminator",
                "image_discriminator": "discriminator", "edge_discriminator": "discriminator",
                "classifier": "discriminator"}
    optional_networks = frozenset({"image_discriminator", "edge_discriminator"})
    optimizers = {"discriminator": ("joint_discriminator", "image_discriminator", "edge_discriminator"),
                  "classifier": ("classifier",), "generator": ("generator",), "encoder": ("encoder",)}

    @classmethod
    def requirements(cls, params: EdgeGANParams, data: DataInfo) -> frozenset[str]:
        return frozenset({"class_label"} | ({"instance", "boxes"} if params.crop else {"edge"}))

    @classmethod
    def network_needs(cls, params: EdgeGANParams) -> dict[str, frozenset[str]]:
        """The classifier's focal loss reads its class logits (extra['logits'])."""
        return {"classifier": frozenset({"classes"})}

    # -- data ---------------------------------------------------------------------------
    def objects(self, image: torch.Tensor, cond: Condition) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(edge images, object images, classes) at ``size``: cut out, or the batch as is."""
        p = self.params
        label = cond["class_label"].long()
        if bool((label < 0).any()):
            raise ganforge.ConditionMismatch("edgegan: class_label has unlabelled rows (-1); EdgeGAN needs every class")
        if p.crop:
            obj, strokes = object_triplets(image, cond["instance"], cond["boxes"], p.size)
        else:
            obj, strokes = image, cond["edge"]
            if tuple(obj.shape[-2:]) != (p.size, p.size):
                raise ganforge.ConditionMismatch(f"edgegan: crop=false needs {p.size}x{p.size} object images, "
                                                 f"got {tuple(obj.shape[-2:])}")
        return to_edge_image(strokes, p.edge_channels), obj, label

    @ganforge.hookimpl
    def ganforge_prepare_batch(self, run: Run, batch: dict[str, Any]) -> None:
        batch["objects"] = self.objects(batch["image"], batch["cond"])

    def fake_pair(self, run: Run, label: torch.Tensor, generator=None):
        z = torch.randn(label.shape[0], self.params.z_dim, device=label.device)
        g = generator if generator is not None else run.models["generator"]
        edge, image = g.pair(Condition(z=z, class_label=label))
        return z, edge, image

    def upsample(self, x: torch.Tensor) -> torch.Tensor:
        """The TF code's bicubic resize to the image / edge critics' size."""
        s = self.params.dis_size
        return x if x.shape[-1] == s else F.interpolate(x, size=(s, s), mode="bicubic", align_corners=False)

    def critic_inputs(self, edge: torch.Tensor, image: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"joint_discriminator": torch.cat([edge, image], -1), "image_discriminator": self.upsample(image),
                "edge_discriminator": self.upsample(edge)}

    # -- steps ----------------------------------------------------------------------------
    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        edge, image, label = batch["objects"]
        with torch.no_grad(), run.autocast():
            _, fake_edge, fake_image = self.fake_pair(run, label)
        real_in, fake_in = self.critic_inputs(edge, image), self.critic_inputs(fake_edge.float(), fake_image.float())
        total, logs = 0.0, {}
        for role, weight in CRITICS.items():
            if role in run.models:
                wdist, gp = wgan_gp(run.models[role], real_in[role], fake_in[role], self.params.lambda_gp)
                total = total + getattr(self.params, weight) * (wdist + gp)
                logs[f"{role.split('_')[0]}_wdist"], logs[f"{role.split('_')[0]}_gp"] = wdist.detach(), gp.detach()
        logits = run.models["classifier"](image).extra["logits"]
        ac_d = focal_cross_entropy(logits, label, self.params.focal_gamma)
        logs["ac_d"] = ac_d.detach()
        logs["ac_accuracy"] = (logits.argmax(1) == label).float().mean()
        return StepResult(total + self.params.lambda_ac_d * ac_d, logs)

    @ganforge.hookimpl
    def ganforge_generator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        _, _, label = batch["objects"]
        critics = [r for r in CRITICS if r in run.models]
        with run.frozen(*critics, "classifier"), run.autocast():
            z, fake_edge, fake_image = self.fake_pair(run, label)
            fake_in = self.critic_inputs(fake_edge, fake_image)
            total, logs = 0.0, {}
            for role in critics:
                g = -run.models[role](fake_in[role]).scores[0].mean()
                total = total + getattr(self.params, CRITICS[role]) * g
                logs[f"g_{role.split('_')[0]}"] = g.detach()
            ac_g = F.cross_entropy(run.models["classifier"](fake_image).extra["logits"], label)
            z_l1 = (run.models["encoder"].encode(fake_edge.detach())["z"] - z).abs().mean()
        logs.update(ac_g=ac_g.detach(), z_l1=z_l1.detach())
        return StepResult(total + self.params.lambda_ac_g * ac_g + self.params.lambda_z * z_l1, logs)

    @ganforge.hookimpl
    def ganforge_sample(self, run: Run, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Rows of: real object edges, real objects, then G_E and G_I from E(real edge) —
        the sketch -> edge -> image path of the application."""
        edge, image, label = self.objects(batch["image"], batch["cond"])
        encoder, generator = run.models["encoder"], run.generator_for_sampling()
        was = encoder.training
        encoder.eval()
        with torch.no_grad(), run.autocast():
            z = encoder.encode(edge)["z"]
            fake_edge, fake_image = generator.pair(Condition(z=z, class_label=label))
        encoder.train(was)
        return {"real edge": as_rgb(edge), "real object": image, "generated edge": as_rgb(fake_edge.float()),
                "generated image": fake_image.float()}


def as_rgb(edge: torch.Tensor) -> torch.Tensor:
    """Edge images with any number of (equal) channels as 3-channel pictures for grids."""
    return edge if edge.shape[1] == 3 else edge[:, :1].expand(-1, 3, -1, -1)

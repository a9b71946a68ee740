"""Stage 2, background generation (Sec. 3.2): pix2pix (Isola et al. 2017) translates the
*scene sketch composite* — the background sketch in black on white with the foreground
objects pasted into their boxes — into the scene image (SketchyCOCO's
{foreground image & background sketch, scene image} pairs).

* ``edgegan_background`` generator: pix2pix's ``unet_256`` (8 stride-2 4x4 convs, ngf 64,
  skip connections, dropout 0.5 in the three inner ngf*8 decoder blocks); its norms are a
  normalizer slot (pix2pix: batch norm), so any paper's normalizer drops in.
* ``edgegan_patch`` discriminator: pix2pix's 70x70 PatchGAN on (composite, image).
* ``edgegan_background`` recipe: GAN loss (pix2pix 'vanilla': BCE on logits, D loss
  halved) + 100 L1.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import AdversarialLoss, ComponentSpec, Condition, DataInfo, DiscriminatorOutput, StepResult
from ganforge.run import Run

from .layers import to_edge_image

FIELD = "scene_sketch"
SCENE_SKETCH = ganforge.FieldSpec(
    FIELD, "bilinear", "float", "B,3,H,W",
    "background sketch (black on white) with the foreground objects pasted in, in [-1, 1] (EdgeGAN stage 2 input)")


class Pix2PixBatchNorm(ganforge.Normalizer):
    """pix2pix's ``BatchNorm2d`` with a learned affine; reads nothing from the Condition."""

    def __init__(self, params: ganforge.NoParams, data: DataInfo, num_features: int):
        super().__init__(params, data, num_features)
        self.norm = nn.BatchNorm2d(num_features)

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:
        return self.norm(x)


class UNetParams(ganforge.Params):
    ngf: int = Field(64, ge=1, description="channels of the first conv (pix2pix --ngf)")
    num_downs: int = Field(8, ge=2, description="stride-2 levels: 8 for 256 px (unet_256), 7 for 128 px")
    dropout: bool = Field(True, description="dropout 0.5 in the inner ngf*8 decoder blocks (pix2pix default)")
    norm: ComponentSpec = ganforge.slot("normalizer", "pix2pix_batch", "norm of every inner conv")


class UNetGenerator(ganforge.Generator):
    """pix2pix U-Net: the scene sketch composite -> the scene image."""

    Params: ClassVar = UNetParams
    requires = frozenset({FIELD})

    def __init__(self, params: UNetParams, data: DataInfo):
        super().__init__(params, data)
        n, ch = params.num_downs, [min(params.ngf * 2 ** i, params.ngf * 8) for i in range(params.num_downs)]
        if min(data.resolution) % 2 ** n:
            raise ganforge.ConfigError(f"edgegan_background: resolution {data.resolution} is not divisible by "
                                       f"2^num_downs = {2 ** n}")
        def norm(channels: int, where: str) -> nn.Module:
            return ganforge.build("normalizer", params.norm, data, num_features=channels,
                                  path=f"generator.norm ({where})")

        self.down = nn.ModuleList(nn.Conv2d(3 if i == 0 else ch[i - 1], ch[i], 4, 2, 1, bias=False)
                                  for i in range(n))
        self.down_norm = nn.ModuleDict({str(i): norm(ch[i], f"down {i}") for i in range(1, n - 1)})
        self.up = nn.ModuleList(
            nn.ConvTranspose2d(ch[i] * (1 if i == n - 1 else 2), ch[i - 1] if i else data.image_channels, 4, 2, 1,
                               bias=i == 0) for i in range(n))
        self.up_norm = nn.ModuleDict({str(i): norm(ch[i - 1], f"up {i}") for i in range(1, n)})
        self.dropped = {i for i in range(4, n - 1)} if params.dropout else set()  # pix2pix: num_downs - 5 blocks

    def forward(self, cond: Condition) -> torch.Tensor:
        x = cond[FIELD]
        feats = [self.down[0](x)]
        for i in range(1, len(self.down)):
            d = self.down[i](F.leaky_relu(feats[-1], 0.2))
            feats.append(self.down_norm[str(i)](d, cond.resized(d.shape[-2:])) if str(i) in self.down_norm else d)
        y = feats[-1]
        for i in range(len(self.up) - 1, 0, -1):
            inp = y if i == len(self.up) - 1 else torch.cat([feats[i], y], 1)
            y = self.up[i](F.relu(inp))
            y = self.up_norm[str(i)](y, cond.resized(y.shape[-2:]))
            if i in self.dropped:
                y = F.dropout(y, 0.5, self.training)
        return torch.tanh(self.up[0](F.relu(torch.cat([feats[0], y], 1))))


class PatchParams(ganforge.Params):
    ndf: int = Field(64, ge=1, description="channels of the first conv (pix2pix --ndf)")
    n_layers: int = Field(3, ge=1, description="stride-2 convs after the first: 3 gives the 70x70 PatchGAN")


class PatchDiscriminator(ganforge.Discriminator):
    """pix2pix's PatchGAN on (scene sketch composite, image): one logit per patch."""

    Params: ClassVar = PatchParams
    requires = frozenset({FIELD})

    def __init__(self, params: PatchParams, data: DataInfo):
        super().__init__(params, data)
        ch = [min(params.ndf * 2 ** i, params.ndf * 8) for i in range(params.n_layers + 1)]
        layers = [nn.Conv2d(3 + data.image_channels, ch[0], 4, 2, 1), nn.LeakyReLU(0.2)]
        for i in range(1, params.n_layers + 1):
            stride = 2 if i < params.n_layers else 1
            layers += [nn.Conv2d(ch[i - 1], ch[i], 4, stride, 1, bias=False), nn.BatchNorm2d(ch[i]),
                       nn.LeakyReLU(0.2)]
        layers.append(nn.Conv2d(ch[-1], 1, 4, 1, 1))
        self.model = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor, cond: Condition) -> DiscriminatorOutput:
        return DiscriminatorOutput(scores=[self.model(torch.cat([cond[FIELD].to(image.dtype), image], 1))])


def scene_sketch(image: torch.Tensor, instance: torch.Tensor, edge: torch.Tensor) -> torch.Tensor:
    """The training composite from a scene: its objects (instance > 0) over the background
    sketch, the edges outside the objects drawn black on white."""
    objects = (instance > 0)[:, None]
    background = to_edge_image(edge * ~objects, image.shape[1]).to(image.dtype)
    return torch.where(objects, image, background)


class BackgroundParams(ganforge.Params):
    gan_loss: ComponentSpec = ganforge.slot("loss", "nonsaturating", "adversarial loss (pix2pix: 'vanilla' BCE)")
    lambda_l1: float = Field(100.0, ge=0, description="weight of the L1 to the real scene (pix2pix --lambda_L1)")


class BackgroundRecipe(ganforge.Strategy):
    """Stage 2: pix2pix from the scene sketch composite to the scene image (GAN + 100 L1)."""

    Params: ClassVar = BackgroundParams
    networks = {"generator": "generator", "discriminator": "discriminator"}
    optimizers = {"generator": ("generator",), "discriminator": ("discriminator",)}
    provides = frozenset({FIELD})

    def __init__(self, params: BackgroundParams, data: DataInfo):
        super().__init__(params, data)
        self.gan_loss = ganforge.build("loss", params.gan_loss, data, path="strategy.gan_loss", expect=AdversarialLoss)

    @classmethod
    def requirements(cls, params: BackgroundParams, data: DataInfo) -> frozenset[str]:
        return frozenset() if FIELD in data.fields and "instance" not in data.fields else frozenset({"instance", "edge"})

    def with_sketch(self, image: torch.Tensor, cond: Condition) -> Condition:
        if FIELD in cond:
            return cond
        return cond.replace(**{FIELD: scene_sketch(image, cond["instance"], cond["edge"])})

    @ganforge.hookimpl
    def ganforge_prepare_batch(self, run: Run, batch: dict[str, Any]) -> None:
        batch["cond"] = self.with_sketch(batch["image"], batch["cond"])

    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        real, cond = batch["image"], batch["cond"]
        disc = run.models["discriminator"]
        with run.autocast():
            with torch.no_grad():
                fake = run.generate(cond, real)
            d_fake = self.gan_loss(disc(fake, cond).scores, real=False, for_discriminator=True)
            d_real = self.gan_loss(disc(real, cond).scores, real=True, for_discriminator=True)
        return StepResult(0.5 * (d_fake + d_real), {"d_fake": d_fake.detach(), "d_real": d_real.detach()})

    @ganforge.hookimpl
    def ganforge_generator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        real, cond = batch["image"], batch["cond"]
        with run.frozen("discriminator"), run.autocast():
            fake = run.generate(cond, real)
            g_gan = self.gan_loss(run.models["discriminator"](fake, cond).scores, real=True, for_discriminator=False)
            l1 = F.l1_loss(fake.float(), real.float())
        return StepResult(g_gan + self.params.lambda_l1 * l1, {"g_gan": g_gan.detach(), "g_l1": l1.detach()})

    @ganforge.hookimpl
    def ganforge_sample(self, run: Run, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Rows: scene sketch composites, real scenes, generated scenes."""
        cond = self.with_sketch(batch["image"], batch["cond"])
        with torch.no_grad(), run.autocast():
            fake = run.generate(cond, batch["image"], sampling=True)
        return {"scene sketch": cond[FIELD].to(batch["image"].dtype), "real": batch["image"],
                "generated": fake.to(batch["image"].dtype)}

"""A test-only plugin: a tiny dataset, generator, encoder, discriminator and recipe.

Small enough that a training step takes milliseconds on CPU, real enough to exercise
everything the trainer does (two players, an optional encoder, random noise that makes
the RNG state matter, logs, sampling). Registered directly in-process or through
``GANFORGE_PLUGINS=<this file>`` in subprocesses.
"""

from __future__ import annotations

import os
import signal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo, DiscriminatorOutput, StepResult

LABEL_NC = 3


class TinyShapes(ganforge.Dataset):
    """Label maps of random rectangles, images coloured per class; sample i is fixed by i."""

    class Params(ganforge.Params):
        size: int = Field(16, ge=16, description="number of samples")
        resolution: int = Field(8, ge=4)

    def __len__(self) -> int:
        return self.params.size

    def __getitem__(self, i: int) -> dict:
        if not 0 <= i < len(self):
            raise IndexError(i)
        g = torch.Generator().manual_seed(1000 + i)
        r = self.params.resolution
        label = torch.zeros(r, r, dtype=torch.long)
        for cls in (1, 2):
            y, x = torch.randint(0, r - 2, (2,), generator=g).tolist()
            label[y:y + 3, x:x + 3] = cls
        palette = torch.tensor([[-0.8, -0.2, 0.6], [0.7, 0.1, -0.5], [0.0, 0.8, 0.3]])
        image = palette[label].permute(2, 0, 1) + 0.05 * torch.randn(3, r, r, generator=g)
        return {"image": image.clamp(-1, 1), "label": label, "index": i}

    def info(self) -> DataInfo:
        r = self.params.resolution
        return DataInfo(fields=frozenset({"label"}), resolution=(r, r), label_nc=LABEL_NC)


class TinyGenerator(ganforge.Generator):
    """Label one-hot (+ noise, + style) -> image."""

    class Params(ganforge.Params):
        ch: int = 8
        noise: float = Field(0.0, ge=0, description="std of input noise; makes the RNG matter")
        use_style: bool = False
        needs_instance: bool = False

    @classmethod
    def requirements(cls, params, data):
        return frozenset({"label"} | ({"style"} if params.use_style else set())
                         | ({"instance"} if params.needs_instance else set()))

    def __init__(self, params, data):
        super().__init__(params, data)
        extra = 4 if params.use_style else 0
        self.body = nn.Sequential(nn.Conv2d(data.label_nc + 1 + extra, params.ch, 3, padding=1), nn.LeakyReLU(0.2),
                                  nn.Conv2d(params.ch, data.image_channels, 3, padding=1))

    def forward(self, cond: Condition) -> torch.Tensor:
        x = cond.onehot(self.data.label_nc)
        noise = torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device) * self.params.noise
        parts = [x, noise]
        if self.params.use_style:
            parts.append(cond["style"][:, :, None, None].expand(-1, -1, *x.shape[2:]))
        return torch.tanh(self.body(torch.cat(parts, 1)))


class TinyEncoder(ganforge.Encoder):
    """Image -> a 4-d style code."""

    provides = frozenset({"style"})

    def __init__(self, params, data):
        super().__init__(params, data)
        self.fc = nn.Linear(data.image_channels, 4)

    def forward(self, image, cond):
        return {"style": self.fc(image.mean((2, 3)))}


class TinyDiscriminator(ganforge.Discriminator):
    """A conditional patch discriminator on (image, one-hot label)."""

    class Params(ganforge.Params):
        ch: int = 8
        pooled_bn: bool = False  # a BatchNorm on the 1x1 pooled features (batch-size-1 errors)

    def __init__(self, params, data):
        super().__init__(params, data)
        self.conv1 = nn.Conv2d(data.image_channels + data.label_nc, params.ch, 3, padding=1)
        self.conv2 = nn.Conv2d(params.ch, 1, 3, padding=1)
        self.pooled = nn.BatchNorm2d(params.ch) if params.pooled_bn else None

    def forward(self, image, cond):
        h = F.leaky_relu(self.conv1(torch.cat([image, cond.onehot(self.data.label_nc).to(image.dtype)], 1)), 0.2)
        if self.pooled is not None:
            h = h + self.pooled(h.mean((2, 3), keepdim=True))
        return DiscriminatorOutput(scores=[self.conv2(h)], features=[[h]])


class TinyRecipe(ganforge.Strategy):
    """Hinge GAN + L1 reconstruction, paired like pix2pix."""

    networks = {"generator": "generator", "discriminator": "discriminator", "encoder": "encoder"}
    optional_networks = frozenset({"encoder"})
    optimizers = {"generator": ("generator", "encoder"), "discriminator": ("discriminator",)}
    conditioners = {"encoder": "real"}

    class Params(ganforge.Params):
        lambda_l1: float = 10.0
        poison_step: int = Field(-1, description="return a NaN generator loss at this step (guard tests)")

    def _cond(self, run, batch):
        """The generator's condition through the conditioning path (the encoder, when
        configured, adds its style from the real image)."""
        return run.condition(batch["cond"], batch["image"])[0]

    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run, batch):
        with run.autocast():
            with torch.no_grad():
                fake = run.models["generator"](self._cond(run, batch))
            d = run.models["discriminator"]
            real_scores = d(batch["image"], batch["cond"]).scores[0]
            fake_scores = d(fake, batch["cond"]).scores[0]
            loss = F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()
        return StepResult(loss, {"d_real": real_scores.mean()})

    @ganforge.hookimpl
    def ganforge_generator_step(self, run, batch):
        with run.autocast(), run.frozen("discriminator"):
            fake = run.models["generator"](self._cond(run, batch))
            adv = -run.models["discriminator"](fake, batch["cond"]).scores[0].mean()
            l1 = (fake.float() - batch["image"]).abs().mean()
            loss = adv + self.params.lambda_l1 * l1
        if run.step == self.params.poison_step:
            loss = loss * float("nan")
        return StepResult(loss, {"l1": l1})

    @ganforge.hookimpl
    def ganforge_after_step(self, run, step, logs):
        """``TINY_KILL_AT=N`` SIGKILLs this process after step N, ``TINY_TERM_AT=N``
        SIGTERMs it (resume tests)."""
        if os.environ.get("TINY_KILL_AT") == str(step):
            os.kill(os.getpid(), signal.SIGKILL)
        if os.environ.get("TINY_TERM_AT") == str(step):
            os.kill(os.getpid(), signal.SIGTERM)

    @ganforge.hookimpl
    def ganforge_sample(self, run, batch):
        fake = run.generator_for_sampling()(self._cond(run, batch))
        return torch.cat([batch["image"], fake.float()])


class CountSteps(ganforge.Strategy):
    """An extra strategy with state of its own: a buffer, a parameter trained by its own
    optimiser, and that optimiser's state (as ``extra_state``), all of which a resumed
    run must get back."""

    def __init__(self, params, data):
        super().__init__(params, data)
        self.register_buffer("steps_seen", torch.zeros((), dtype=torch.long))
        self.estimate = nn.Parameter(torch.zeros(()))
        self.optimizer = torch.optim.Adam([self.estimate], lr=0.1)
        self.prepared = []  # run.training of each batch prepared, for sampling and training alike

    @ganforge.hookimpl
    def ganforge_prepare_batch(self, run, batch):
        self.prepared.append(run.training)
        batch["prepared"] = True

    @ganforge.hookimpl
    def ganforge_after_step(self, run, step, logs):
        self.steps_seen += 1
        self.optimizer.zero_grad()
        ((self.estimate - logs["l1"]) ** 2).backward()  # tracks the l1 log
        self.optimizer.step()

    def get_extra_state(self):
        return self.optimizer.state_dict()

    def set_extra_state(self, state):
        self.optimizer.load_state_dict(state)


class TinyL1(ganforge.Metric):
    """Mean absolute error between generated and real images."""

    def __init__(self, params, data):
        super().__init__(params, data)
        self.reset()

    def reset(self):
        self.total, self.count = 0.0, 0

    def update(self, fake, real=None, cond=None):
        self.total += float((fake - real).abs().sum())
        self.count += fake.numel()

    def compute(self):
        return {"l1_error": self.total / self.count}


@ganforge.hookimpl
def ganforge_register(register):
    register("metric", "tiny_l1", TinyL1)
    register("dataset", "tiny_shapes", TinyShapes)
    register("generator", "tiny_gen", TinyGenerator)
    register("encoder", "tiny_enc", TinyEncoder)
    register("discriminator", "tiny_disc", TinyDiscriminator)
    register("strategy", "tiny_recipe", TinyRecipe)
    register("strategy", "count_steps", CountSteps)

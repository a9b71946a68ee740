"""``ganforge new-plugin NAME --kind KIND``: an installable plugin that works and is tested
from minute one.

Each kind's template holds one real component that passes `check_component` and tests of
what it does: a label-conditioned FiLM normalizer (any generator's normalizer slot), an
instance-noise extra strategy (`Run.wrap_input` and the step-wrapper contract, for any
recipe), a colour-statistics metric, and an image-folder dataset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import GanforgeError
from .version import API_VERSION

PYPROJECT = '''\
[build-system]
requires = ["setuptools>=77", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "ganforge-{dist}"
version = "0.1.0"
description = "{title}: a ganforge plugin"
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["ganforge>=0.1"]

[project.optional-dependencies]
test = ["pytest>=7.4"]

# Installing a plugin runs its code: ganforge imports this module to discover it.
[project.entry-points.ganforge]
{name} = "ganforge_{name}.plugin"

[tool.setuptools]
packages = ["ganforge_{name}"]
'''

PLUGIN = '''\
"""{title}: registers this plugin's components with ganforge."""

import ganforge

from .{module} import {cls}

GANFORGE_API = "{api}"


@ganforge.hookimpl
def ganforge_register(register):
    register("{kind}", "{component}", {cls}, paper="")
'''

NORM = '''\
"""A label-conditioned FiLM normalizer: instance-normalise, then scale and shift per class."""

import torch
from pydantic import Field
from torch import nn

import ganforge


class FiLMNorm(ganforge.Normalizer):
    """Instance norm modulated by per-class (gamma, beta) looked up from the label map."""

    class Params(ganforge.Params):
        eps: float = Field(1e-5, gt=0, description="instance-norm epsilon")

    requires = frozenset({{"label"}})

    def __init__(self, params, data, num_features):
        super().__init__(params, data, num_features)
        if data.label_nc < 1:
            raise ganforge.ConfigError("{component} needs data with label_nc >= 1")
        self.norm = nn.InstanceNorm2d(num_features, affine=False, eps=params.eps)
        # gamma and beta per class as a 1x1 conv over the one-hot map; zero init = identity
        self.film = nn.Conv2d(data.label_nc, 2 * num_features, kernel_size=1)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)

    def forward(self, x: torch.Tensor, cond: ganforge.Condition) -> torch.Tensor:
        onehot = cond.resized(x.shape[-2:]).onehot(self.data.label_nc)
        gamma, beta = self.film(onehot).chunk(2, dim=1)
        return self.norm(x) * (1 + gamma) + beta
'''

NORM_TEST = '''\
import torch

import ganforge
from ganforge.testing import check_component, synth_condition, default_data


def test_plugin_is_installed(ganforge_registry):
    record = ganforge_registry.get("normalizer", "{component}")
    assert record.distribution == "ganforge-{dist}"


def test_conformance(ganforge_registry):
    check_component("normalizer", "{component}")


def test_modulation_is_per_class(ganforge_registry):
    data = default_data(label_nc=2)
    norm = ganforge.build("normalizer", "{component}", data, num_features=3)
    with torch.no_grad():
        norm.film.bias.zero_()
        norm.film.weight.zero_()
        norm.film.weight[3:, 1] = 5.0  # class 1 shifts every channel by 5
    label = torch.zeros(1, 8, 8, dtype=torch.long)
    label[:, :, 4:] = 1
    x = torch.randn(1, 3, 8, 8)
    y = norm(x, ganforge.Condition(label=label))
    normalised = torch.nn.functional.instance_norm(x, eps=1e-5)
    assert torch.allclose(y[..., :4], normalised[..., :4], atol=1e-5)
    assert torch.allclose(y[..., 4:], normalised[..., 4:] + 5.0, atol=1e-5)
'''

NORM_CONFIG = '''\
# Train SPADE's generator with this plugin's normalizer on the synthetic world
# (needs ganforge-spade): ganforge train configs/synthetic.yaml
data: {{type: synthetic, resolution: 64, length: 512}}
models:
  generator: {{type: spade, ngf: 16, norm: {{type: {component}}}}}
  discriminator: {{type: multiscale_patch, ndf: 16}}
strategy: {{type: paired_conditional, vgg: null}}
train: {{steps: 500, batch_size: 4, sample_every: 100}}
'''

STRATEGY = '''\
"""Instance noise: Gaussian noise on every image the discriminator sees, annealed to zero."""

import torch
from pydantic import Field

import ganforge


class InstanceNoise(ganforge.Strategy):
    """Instance noise on every discriminator input, annealed linearly to zero (an extra strategy for any recipe)."""

    class Params(ganforge.Params):
        sigma: float = Field(0.1, ge=0, description="noise standard deviation at step 0 (images are in [-1, 1])")
        anneal_steps: int = Field(10000, ge=1, description="steps over which the deviation falls linearly to 0")

    def sigma(self, step: int) -> float:
        return self.params.sigma * max(0.0, 1.0 - step / self.params.anneal_steps)

    @ganforge.hookimpl
    def ganforge_setup(self, run):
        # Every network built as a discriminator, whatever the recipe calls it; wrap_input
        # acts at every call: both steps, the trainer's R1, other strategies.
        for role in run.roles("discriminator"):
            run.wrap_input(role, lambda image, *rest: (self.noisy(run, image), *rest))

    def noisy(self, run, image: torch.Tensor) -> torch.Tensor:
        if not run.training:  # sample grids and evaluation see the clean input
            return image
        return image + self.sigma(run.step) * torch.randn_like(image)

    @ganforge.hookimpl(wrapper=True)
    def ganforge_discriminator_step(self, run, batch):
        result = yield  # the recipe's StepResult (or an inner wrapper's)
        if result is None:  # a recipe that declared may_skip: pass the skip on
            return None
        # always return a result: a wrapper returning None stops the discriminator's training
        return ganforge.StepResult(result.loss, {{**result.logs, "instance_noise": self.sigma(run.step)}})
'''

STRATEGY_TEST = '''\
import torch
from torch import nn

import ganforge
from ganforge.run import Run
from ganforge.testing import check_component, default_data
from ganforge.trainer.assemble import run_manager


class Echo(nn.Module):
    """A stand-in discriminator returning what it receives."""

    def forward(self, image, cond):
        return image


class Recipe(ganforge.Strategy):
    """The smallest recipe: a constant discriminator loss."""

    networks = {{"discriminator": "discriminator"}}
    may_skip = frozenset({{"generator"}})

    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run, batch):
        return ganforge.StepResult(torch.tensor(1.0), {{"d_real": 0.5}})


def make_run(strategy):
    run = Run(config=None, data=default_data(), models=nn.ModuleDict({{"discriminator": Echo()}}),
              kinds={{"discriminator": "discriminator"}})
    strategy.ganforge_setup(run)
    return run


def test_plugin_is_installed(ganforge_registry):
    assert ganforge_registry.get("strategy", "{component}").distribution == "ganforge-{dist}"


def test_conformance(ganforge_registry):
    check_component("strategy", "{component}")


def test_every_discriminator_call_gets_annealed_noise(ganforge_registry):
    strategy = ganforge.build("strategy", {{"type": "{component}", "sigma": 0.5, "anneal_steps": 10}}, default_data())
    run = make_run(strategy)
    image = torch.zeros(64, 3, 16, 16)
    assert abs(run.models["discriminator"](image, None).std().item() - 0.5) < 0.02
    run.step = 5
    assert abs(run.models["discriminator"](image, None).std().item() - 0.25) < 0.01
    run.training = False
    assert torch.equal(run.models["discriminator"](image, None), image)


def test_the_wrapper_keeps_the_recipes_result_and_adds_its_log(ganforge_registry):
    data = default_data()
    strategy = ganforge.build("strategy", {{"type": "{component}", "sigma": 0.5}}, data)
    pm = run_manager([Recipe(Recipe.Params(), data), strategy])  # validates both, recipe first
    result = pm.hook.ganforge_discriminator_step(run=make_run(strategy), batch={{}})
    assert result.loss.item() == 1.0 and result.logs == {{"d_real": 0.5, "instance_noise": 0.5}}
'''

STRATEGY_CONFIG = '''\
# SPADE on the synthetic world with this plugin's instance noise (needs ganforge-spade):
#   ganforge train configs/synthetic.yaml
data: {{type: synthetic, resolution: 64, length: 512}}
models:
  generator: {{type: spade, ngf: 16}}
  discriminator: {{type: multiscale_patch, ndf: 16}}
strategy: {{type: paired_conditional, vgg: null}}
strategies: [{{type: {component}, sigma: 0.1, anneal_steps: 500}}]
train: {{steps: 500, batch_size: 4, sample_every: 100}}
'''

METRIC = '''\
"""Colour statistics: how far the per-channel colour mean and spread of generated images are from the real ones."""

import torch
import torch.distributed as dist

import ganforge


class ColorStats(ganforge.Metric):
    """L1 distance between the per-channel mean and standard deviation of generated and real images."""

    Params = ganforge.NoParams

    def __init__(self, params, data):
        super().__init__(params, data)
        # rows: fake, real; columns: sum, sum of squares per channel, then the pixel count.
        # A buffer, so .to(device) moves it and compute() can all-reduce it across processes.
        self.register_buffer("stats", torch.zeros(2, 2 * data.image_channels + 1, dtype=torch.float64))

    def reset(self):
        self.stats.zero_()

    def update(self, fake, real=None, cond=None):
        if real is None:
            raise ganforge.ConfigError("metric '{component}' compares with real images; give real=")
        for row, images in enumerate((fake, real)):
            x = images.detach().to(torch.float64).transpose(0, 1).flatten(1)  # (C, pixels)
            self.stats[row] += torch.cat([x.sum(1), x.square().sum(1), x.new_tensor([x.shape[1]])])

    def compute(self):
        stats = self.stats.clone()
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(stats)
        c = self.data.image_channels
        count = stats[:, -1:].clamp(min=1)
        mean = stats[:, :c] / count
        std = (stats[:, c:2 * c] / count - mean.square()).clamp(min=0).sqrt()
        return {{"color_mean_l1": float((mean[0] - mean[1]).abs().mean()),
                "color_std_l1": float((std[0] - std[1]).abs().mean())}}
'''

METRIC_TEST = '''\
import torch

import ganforge
from ganforge.testing import check_component, default_data


def test_plugin_is_installed(ganforge_registry):
    assert ganforge_registry.get("metric", "{component}").distribution == "ganforge-{dist}"


def test_conformance(ganforge_registry):
    check_component("metric", "{component}")  # two batches, compute, reset starts over


def test_values(ganforge_registry):
    metric = ganforge.build("metric", "{component}", default_data())
    real = torch.rand(4, 3, 8, 8) * 2 - 1
    metric.update(real.clone(), real)
    assert metric.compute() == {{"color_mean_l1": 0.0, "color_std_l1": 0.0}}
    metric.reset()
    metric.update(real * 0.5 + 0.25, real)  # mean moves by 0.25 (and by half the real mean), spread halves
    values = metric.compute()
    mean = real.transpose(0, 1).flatten(1).mean(1)
    std = real.transpose(0, 1).flatten(1).std(1, unbiased=False)
    assert abs(values["color_mean_l1"] - (0.25 - 0.5 * mean).abs().mean().item()) < 1e-5
    assert abs(values["color_std_l1"] - (0.5 * std).mean().item()) < 1e-5
'''

DATASET = '''\
"""An image folder: every .png / .jpg in one folder, as unconditional training data."""

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from pydantic import Field

import ganforge

EXTENSIONS = {{".png", ".jpg", ".jpeg"}}


class ImageFolder(ganforge.Dataset):
    """Every image of a folder, resized to a square resolution, in [-1, 1]."""

    class Params(ganforge.Params):
        root: str = Field(description="folder holding the images (.png, .jpg)")
        resolution: int = Field(64, ge=8, description="side of the square images")

    def __init__(self, params):
        super().__init__(params)
        root = Path(params.root).expanduser()
        if not root.is_dir():
            raise ganforge.DataError(f"{{root}}: image folder does not exist")
        self.files = sorted(p for p in root.iterdir() if p.suffix.lower() in EXTENSIONS)
        if not self.files:
            raise ganforge.DataError(f"{{root}}: no .png or .jpg images")

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        r = self.params.resolution
        try:
            with Image.open(self.files[i]) as img:
                img = img.convert("RGB").resize((r, r), Image.BICUBIC)
        except OSError as exc:
            raise ganforge.DataError(f"{{self.files[i]}}: cannot read image ({{exc}})") from None
        pixels = torch.from_numpy(np.asarray(img, dtype=np.float32)).permute(2, 0, 1)
        return {{"image": pixels / 127.5 - 1}}

    def info(self):
        r = self.params.resolution
        return ganforge.DataInfo(fields=frozenset(), resolution=(r, r))
'''

DATASET_TEST = '''\
import numpy as np
import pytest
import torch
from PIL import Image

import ganforge
from ganforge.testing import check_component


@pytest.fixture
def folder(tmp_path):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.full((8, 8, 3), 255, np.uint8)).save(tmp_path / "b.png")
    return tmp_path


def test_plugin_is_installed(ganforge_registry):
    assert ganforge_registry.get("dataset", "{component}").distribution == "ganforge-{dist}"


def test_conformance(ganforge_registry, folder):
    check_component("dataset", "{component}", {{"root": str(folder), "resolution": 8}})


def test_items_are_the_images_in_minus_one_one(ganforge_registry, folder):
    ds = ganforge.build("dataset", {{"type": "{component}", "root": str(folder), "resolution": 16}})
    assert len(ds) == 2 and ds.info().resolution == (16, 16)
    assert torch.equal(ds[0]["image"], torch.full((3, 16, 16), -1.0))
    assert torch.equal(ds[1]["image"], torch.full((3, 16, 16), 1.0))


def test_an_empty_folder_is_an_error_naming_it(ganforge_registry, tmp_path):
    with pytest.raises(ganforge.DataError, match="no .png or .jpg images"):
        ganforge.build("dataset", {{"type": "{component}", "root": str(tmp_path)}})
'''

README = '''\
# ganforge-{dist}

{title}: a ganforge plugin. Installing it runs its code: ganforge imports
`ganforge_{name}.plugin` to discover its components.

    pip install -e .
    ganforge components '{name}*'
    pytest tests

Components:

| kind | name | what |
|---|---|---|
| {kind} | `{component}` | {what} |

{usage}
'''


@dataclass(frozen=True)
class Template:
    """One kind's scaffold: the component's module, class and suffix, its files, and how to use it."""

    module: str
    cls: str
    suffix: str
    source: str
    test: str
    what: str
    usage: str
    config: str | None = None


TEMPLATES = {
    "normalizer": Template("norm", "FiLMNorm", "film", NORM, NORM_TEST,
                           "label-conditioned FiLM: instance norm, per-class scale and shift",
                           "Use it in any generator with a normalizer slot, e.g. SPADE's:\n"
                           "`generator: {{type: spade, norm: {{type: {component}}}}}` "
                           "(see `configs/synthetic.yaml`).", NORM_CONFIG),
    "strategy": Template("noise", "InstanceNoise", "instance_noise", STRATEGY, STRATEGY_TEST,
                         "instance noise on every discriminator input, annealed to zero",
                         "Add it to any recipe: `strategies: [{{type: {component}, sigma: 0.1}}]` "
                         "(see `configs/synthetic.yaml`).", STRATEGY_CONFIG),
    "metric": Template("metric", "ColorStats", "color_stats", METRIC, METRIC_TEST,
                       "L1 distance of per-channel colour mean and spread, generated vs real",
                       "Evaluate with it: `eval: {{metrics: [{component}]}}`."),
    "dataset": Template("data", "ImageFolder", "folder", DATASET, DATASET_TEST,
                        "every .png/.jpg of a folder, square, in [-1, 1]",
                        "Train on a folder: `data: {{type: {component}, root: path/to/images, resolution: 64}}`."),
}
SCAFFOLD_KINDS = tuple(TEMPLATES)


def create_plugin(name: str, directory: str | Path = ".", kind: str = "normalizer") -> Path:
    """Write the plugin folder ``<directory>/ganforge-<name>`` with one ``kind`` component
    (see `SCAFFOLD_KINDS`) and return its path."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise GanforgeError(f"plugin name {name!r}: use lower case letters, digits and '_', starting with a letter")
    if kind not in TEMPLATES:
        raise GanforgeError(f"--kind {kind!r}: new-plugin scaffolds {', '.join(SCAFFOLD_KINDS)}")
    root = Path(directory) / f"ganforge-{name.replace('_', '-')}"
    if root.exists():
        raise GanforgeError(f"{root} already exists; choose another name or --dir")
    t = TEMPLATES[kind]
    fmt = {"name": name, "dist": name.replace("_", "-"), "title": name.replace("_", " ").title(), "kind": kind,
           "component": f"{name}_{t.suffix}", "module": t.module, "cls": t.cls,
           "api": f"{API_VERSION[0]}.{API_VERSION[1]}"}
    fmt["what"], fmt["usage"] = t.what, t.usage.format(**fmt)
    files = {
        "pyproject.toml": PYPROJECT,
        f"ganforge_{name}/__init__.py": '"""{title} for ganforge."""\n',
        f"ganforge_{name}/plugin.py": PLUGIN,
        f"ganforge_{name}/{t.module}.py": t.source,
        f"tests/test_{name}.py": t.test,
        "README.md": README,
    }
    if t.config:
        files["configs/synthetic.yaml"] = t.config
    for rel, template in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**fmt))
    return root

"""``ganforge new-plugin NAME``: an installable plugin that works and is tested from minute one.

The template holds one real component — a label-conditioned FiLM normalizer that any
generator with a normalizer slot accepts — so a new author starts from something that
passes `check_component` and can be trained inside SPADE's generator by a config.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import GanforgeError

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

from .norm import FiLMNorm

GANFORGE_API = "1.0"


@ganforge.hookimpl
def ganforge_register(register):
    register("normalizer", "{name}_film", FiLMNorm, paper="")
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
            raise ganforge.ConfigError("{name}_film needs data with label_nc >= 1")
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

TEST = '''\
import torch

import ganforge
from ganforge.testing import check_component, synth_condition, default_data


def test_plugin_is_installed(ganforge_registry):
    record = ganforge_registry.get("normalizer", "{name}_film")
    assert record.distribution == "ganforge-{dist}"


def test_conformance(ganforge_registry):
    check_component("normalizer", "{name}_film")


def test_modulation_is_per_class(ganforge_registry):
    data = default_data(label_nc=2)
    norm = ganforge.build("normalizer", "{name}_film", data, num_features=3)
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

CONFIG = '''\
# Train SPADE's generator with this plugin's normalizer on the synthetic world
# (needs ganforge-spade): ganforge train configs/synthetic.yaml
data: {{type: synthetic, resolution: 64, length: 512}}
models:
  generator: {{type: spade, ngf: 16, norm: {{type: {name}_film}}}}
  discriminator: {{type: multiscale_patch, ndf: 16}}
strategy: {{type: paired_conditional, vgg: null}}
train: {{steps: 500, batch_size: 4, sample_every: 100}}
'''

README = '''\
# ganforge-{dist}

{title}: a ganforge plugin. Installing it runs its code: ganforge imports
`ganforge_{name}.plugin` to discover its components.

    pip install -e .
    ganforge components normalizer '{name}*'
    pytest tests

Components:

| kind | name | what |
|---|---|---|
| normalizer | `{name}_film` | label-conditioned FiLM: instance norm, per-class scale and shift |

Use it in any generator with a normalizer slot, e.g. SPADE's:
`generator: {{type: spade, norm: {{type: {name}_film}}}}` (see `configs/synthetic.yaml`).
'''


def create_plugin(name: str, directory: str | Path = ".") -> Path:
    """Write the plugin folder ``<directory>/ganforge-<name>`` and return its path."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise GanforgeError(f"plugin name {name!r}: use lower case letters, digits and '_', starting with a letter")
    root = Path(directory) / f"ganforge-{name.replace('_', '-')}"
    if root.exists():
        raise GanforgeError(f"{root} already exists; choose another name or --dir")
    fmt = {"name": name, "dist": name.replace("_", "-"), "title": name.replace("_", " ").title()}
    files = {
        "pyproject.toml": PYPROJECT,
        f"ganforge_{name}/__init__.py": '"""{title} for ganforge."""\n',
        f"ganforge_{name}/plugin.py": PLUGIN,
        f"ganforge_{name}/norm.py": NORM,
        "tests/test_plugin.py": TEST,
        "configs/synthetic.yaml": CONFIG,
        "README.md": README,
    }
    for rel, template in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**fmt))
    return root

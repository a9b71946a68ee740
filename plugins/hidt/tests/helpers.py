"""Shared test helpers: the official facts, tiny networks and data infos."""

from __future__ import annotations

import json
from pathlib import Path

import torch

import ganforge

FACTS = json.loads((Path(__file__).parent / "data" / "official_facts.json").read_text())
TINY_G = {"type": "hidt", "dim": 8, "content_blocks": 1, "decoder_blocks": 1, "skip_dim": 2, "mlp_dim": 8,
          "norm": {"type": "hidt_adain", "style_dim": 8}}
TINY_E = {"type": "hidt_style", "dim": 8}
TINY_D = {"type": "hidt", "dim": 8, "n_layers": 2, "num_scales": 2}


def data_info(resolution: int = 32, label_nc: int = 3, fields=("label",)) -> ganforge.DataInfo:
    return ganforge.DataInfo(fields=frozenset(fields), resolution=(resolution, resolution), label_nc=label_nc)


def official_state(keys: dict[str, list[int]]) -> dict[str, torch.Tensor]:
    """The deterministic weights the recorded official outputs were computed with:
    randn / sqrt(fan in) in sorted key order from one seeded generator (AdaIN's dummy
    running statistics stay zeros / ones)."""
    g = torch.Generator().manual_seed(0)
    state = {}
    for key in sorted(keys):
        shape = keys[key]
        if key.endswith("running_mean"):
            state[key] = torch.zeros(shape)
        elif key.endswith("running_var"):
            state[key] = torch.ones(shape)
        else:
            fan_in = torch.Size(shape[1:]).numel() if len(shape) > 1 else 10
            state[key] = torch.randn(shape, generator=g) / fan_in ** 0.5
    return state

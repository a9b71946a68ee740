"""Tiny networks and the rosinality key layout for the tests."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import torch

import ganforge
from ganforge_stylegan2.discriminator import StyleGAN2Discriminator, StyleGAN2DiscriminatorParams
from ganforge_stylegan2.generator import StyleGAN2Generator, StyleGAN2GeneratorParams

DATA = Path(__file__).parent / "data"
CONFIGS = Path(__file__).resolve().parent.parent / "configs"
TINY = {"z_dim": 16, "w_dim": 16, "channel_base": 128, "channel_max": 32}


def data_info(resolution: int = 16) -> ganforge.DataInfo:
    return ganforge.DataInfo(fields=frozenset(), resolution=(resolution, resolution))


def tiny_generator(resolution: int = 16, seed: int = 0, **overrides) -> StyleGAN2Generator:
    torch.manual_seed(seed)
    return StyleGAN2Generator(StyleGAN2GeneratorParams(**{**TINY, **overrides}), data_info(resolution))


def tiny_discriminator(resolution: int = 16, **overrides) -> StyleGAN2Discriminator:
    params = {"channel_base": TINY["channel_base"], "channel_max": TINY["channel_max"], **overrides}
    return StyleGAN2Discriminator(StyleGAN2DiscriminatorParams(**params), data_info(resolution))


@functools.lru_cache(maxsize=None)
def full_size(net: str, resolution: int) -> torch.nn.Module:
    """A config-f network at ``resolution``, built once per test session. Built on the CPU
    (about 1 s): on the meta device the first ``randn`` warms up torch's fake-tensor
    machinery for longer than that."""
    data = data_info(resolution)
    if net == "generator":
        return StyleGAN2Generator(StyleGAN2GeneratorParams(), data)
    return StyleGAN2Discriminator(StyleGAN2DiscriminatorParams(), data)


def fact(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def rosinality_layout(size: int, style_dim: int, n_mlp: int, channel_multiplier: int = 2) -> dict[str, dict]:
    """Key -> shape of rosinality's Generator/Discriminator state_dicts, derived from the
    layout rules (checked against the recorded 256 px facts in test_convert)."""
    ch = {2 ** i: min(512, 16384 * channel_multiplier // 2 ** i) for i in range(2, 11)}
    log2 = int(math.log2(size))
    g: dict[str, list[int]] = {}
    for i in range(1, n_mlp + 1):
        g[f"style.{i}.weight"], g[f"style.{i}.bias"] = [style_dim, style_dim], [style_dim]
    g["input.input"] = [1, ch[4], 4, 4]

    def styled(prefix: str, cin: int, cout: int, up: bool) -> None:
        g[f"{prefix}.conv.weight"] = [1, cout, cin, 3, 3]
        if up:
            g[f"{prefix}.conv.blur.kernel"] = [4, 4]
        g[f"{prefix}.conv.modulation.weight"], g[f"{prefix}.conv.modulation.bias"] = [cin, style_dim], [cin]
        g[f"{prefix}.noise.weight"], g[f"{prefix}.activate.bias"] = [1], [cout]

    def to_rgb(prefix: str, cin: int, up: bool) -> None:
        g[f"{prefix}.bias"] = [1, 3, 1, 1]
        if up:
            g[f"{prefix}.upsample.kernel"] = [4, 4]
        g[f"{prefix}.conv.weight"] = [1, 3, cin, 1, 1]
        g[f"{prefix}.conv.modulation.weight"], g[f"{prefix}.conv.modulation.bias"] = [cin, style_dim], [cin]

    styled("conv1", ch[4], ch[4], False)
    to_rgb("to_rgb1", ch[4], False)
    for j, res in enumerate(2 ** i for i in range(3, log2 + 1)):
        styled(f"convs.{2 * j}", ch[res // 2], ch[res], True)
        styled(f"convs.{2 * j + 1}", ch[res], ch[res], False)
    for j, res in enumerate(2 ** i for i in range(3, log2 + 1)):
        to_rgb(f"to_rgbs.{j}", ch[res], True)
    for i in range(2 * log2 - 3):
        r = 2 ** ((i + 5) // 2)
        g[f"noises.noise_{i}"] = [1, 1, r, r]

    d: dict[str, list[int]] = {"convs.0.0.weight": [ch[size], 3, 1, 1], "convs.0.1.bias": [ch[size]]}
    for j, res in enumerate(2 ** i for i in range(log2, 2, -1)):
        cin, cout, p = ch[res], ch[res // 2], f"convs.{j + 1}"
        d.update({f"{p}.conv1.0.weight": [cin, cin, 3, 3], f"{p}.conv1.1.bias": [cin], f"{p}.conv2.0.kernel": [4, 4],
                  f"{p}.conv2.1.weight": [cout, cin, 3, 3], f"{p}.conv2.2.bias": [cout], f"{p}.skip.0.kernel": [4, 4],
                  f"{p}.skip.1.weight": [cout, cin, 1, 1]})
    d.update({"final_conv.0.weight": [ch[4], ch[4] + 1, 3, 3], "final_conv.1.bias": [ch[4]],
              "final_linear.0.weight": [ch[4], ch[4] * 16], "final_linear.0.bias": [ch[4]],
              "final_linear.1.weight": [1, ch[4]], "final_linear.1.bias": [1]})
    return {"generator": g, "discriminator": d}


def filled(layout: dict[str, list[int]], seed: int) -> dict[str, torch.Tensor]:
    """Random official weights: 0.5 * randn per tensor in sorted key order (blur kernels
    and fixed noise maps are constants the conversion skips)."""
    gen = torch.Generator().manual_seed(seed)
    return {k: (torch.ones(layout[k]) if k.endswith("kernel") or k.startswith("noises.")
                else torch.randn(layout[k], generator=gen) * 0.5) for k in sorted(layout)}

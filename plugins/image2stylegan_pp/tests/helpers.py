"""A tiny StyleGAN-like generator that is *not* StyleGAN2: it has only the
`StyleLatentGenerator` members, so the tests show the plugin needs nothing else."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class TinyStyleGenerator(nn.Module):
    """16x16 RGB from 3 styles: a learned 8x8 constant modulated by w0 ("c8"), upsampled,
    convolved and modulated by w1 ("c16"), then a fixed 1x1 to RGB scaled by w2's first
    channel. Noise is added before each named activation. The last activation reaches the
    image through a style-free 1x1 conv: what the activation tests rely on."""

    w_dim, num_ws = 8, 3

    def __init__(self, seed: int = 0):
        super().__init__()
        with torch.random.fork_rng():  # the same network whatever the test order
            torch.manual_seed(seed)
            self.map = nn.Linear(8, 8)
            self.const = nn.Parameter(torch.randn(1, 8, 8, 8))
            self.conv = nn.Conv2d(8, 8, 3, padding=1)
            self.to_rgb = nn.Conv2d(8, 3, 1)
        self.noise_strength = nn.Parameter(torch.full((2,), 0.3))

    def mapping(self, z, truncation_psi=1.0):
        return self.mean_w() + truncation_psi * (self.map(z) - self.mean_w())

    def mean_w(self):
        return torch.zeros(8)

    def noise_shapes(self):
        return [(1, 8, 8), (1, 16, 16)]

    def activation_names(self):
        return ["c8", "c16"]

    def synthesis(self, ws, noise=None, edit=None):
        b = ws.shape[0]
        noise = noise if noise is not None else [torch.randn(b, *s) for s in self.noise_shapes()]
        edit = edit or (lambda name, x: x)
        x = self.const * (1 + ws[:, 0, :, None, None]) + self.noise_strength[0] * noise[0]
        x = edit("c8", F.leaky_relu(x, 0.2))
        x = self.conv(F.interpolate(x, scale_factor=2)) * (1 + ws[:, 1, :, None, None])
        x = edit("c16", F.leaky_relu(x + self.noise_strength[1] * noise[1], 0.2))
        return self.to_rgb(x)


def tiny() -> TinyStyleGenerator:
    return TinyStyleGenerator().requires_grad_(False)


@torch.no_grad()
def generated_images(G: TinyStyleGenerator, n: int, seed: int = 1) -> torch.Tensor:
    """Images G can produce (random W+ and noise), clamped to [-1, 1]: embedding targets."""
    gen = torch.Generator().manual_seed(seed)
    ws = torch.randn(n, G.num_ws, G.w_dim, generator=gen) * 0.5
    noise = [torch.randn(n, *s, generator=gen) for s in G.noise_shapes()]
    return G.synthesis(ws, noise).clamp(-1, 1)

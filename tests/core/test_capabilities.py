"""Capabilities are checked by their members, with errors that name what is missing."""

import pytest
import torch

import ganforge
from ganforge.capabilities import StyleLatentGenerator, require


class TinyStyleGenerator(ganforge.Generator):
    """Two style inputs, one noise input, one named activation."""

    w_dim, num_ws = 4, 2

    def __init__(self):
        super().__init__(ganforge.NoParams(), ganforge.DataInfo(resolution=(4, 4)))
        self.map = torch.nn.Linear(4, 4)
        self.const = torch.nn.Parameter(torch.randn(1, 4, 4, 4))

    def mapping(self, z, truncation_psi=1.0):
        w = self.map(z)
        return self.mean_w() + truncation_psi * (w - self.mean_w())

    def mean_w(self):
        return torch.zeros(4)

    def noise_shapes(self):
        return [(1, 4, 4)]

    def activation_names(self):
        return ["b4"]

    def synthesis(self, ws, noise=None, edit=None):
        noise = noise or [torch.randn(ws.shape[0], 1, 4, 4)]
        x = self.const * ws[:, 0, :, None, None] + noise[0]
        x = edit("b4", x) if edit else x
        return torch.tanh(x[:, :3] * ws[:, 1, :3, None, None])


def test_a_generator_with_the_members_has_the_capability():
    g = TinyStyleGenerator()
    require(g, StyleLatentGenerator, "test")
    ws = torch.randn(2, g.num_ws, g.w_dim)
    zeroed = g.synthesis(ws, noise=[torch.zeros(2, 1, 4, 4)], edit=lambda name, x: x * 0)
    assert torch.equal(zeroed, torch.zeros(2, 3, 4, 4))


def test_a_missing_capability_names_the_consumer_and_the_missing_members():
    class OnlyMapping(ganforge.Generator):
        w_dim = 4

        def mapping(self, z, truncation_psi=1.0):
            return z

    with pytest.raises(ganforge.ConfigError, match=r"image2stylegan_pp: OnlyMapping is not a StyleLatentGenerator; "
                                                   r"it lacks activation_names, mean_w, noise_shapes, num_ws, synthesis"):
        require(OnlyMapping(ganforge.NoParams(), ganforge.DataInfo()), StyleLatentGenerator, "image2stylegan_pp")

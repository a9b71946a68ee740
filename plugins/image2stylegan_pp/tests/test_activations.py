"""Activation-tensor manipulation through the capability's ``edit`` callback."""

import pytest
import torch

import ganforge
from ganforge_image2stylegan_pp.activations import record_activations, spatial_blend

from .helpers import tiny


def latents(G, seed):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(1, G.num_ws, G.w_dim, generator=gen), [torch.randn(1, *s, generator=gen)
                                                              for s in G.noise_shapes()]


def test_recorded_activations_have_the_layer_shapes():
    G = tiny()
    acts = record_activations(G, *latents(G, 0), ["c8", "c16"])
    assert {n: tuple(a.shape) for n, a in acts.items()} == {"c8": (1, 8, 8, 8), "c16": (1, 8, 16, 16)}
    with pytest.raises(ganforge.ConfigError, match=r"activation layers \['b4'\] not in .*: c8, c16"):
        record_activations(G, *latents(G, 0), ["b4"])


def test_spatial_copy_of_the_last_activation_copies_the_image_region():
    G = tiny()
    (wx, nx), (wy, ny) = latents(G, 0), latents(G, 1)
    x, y = G.synthesis(wx, nx), G.synthesis(wy, ny)
    source = record_activations(G, wy, ny, ["c16"])
    left = torch.zeros(1, 1, 16, 16)
    left[..., :8] = 1
    out = G.synthesis(wx, nx, edit=spatial_blend(source, left))
    torch.testing.assert_close(out[..., :8], y[..., :8])   # the copied region is y's
    torch.testing.assert_close(out[..., 8:], x[..., 8:])   # the rest stays x
    torch.testing.assert_close(G.synthesis(wx, nx, edit=spatial_blend(source, torch.zeros(1, 1, 16, 16))), x)


def test_a_coarse_copy_is_resized_and_changes_the_later_layers():
    G = tiny()
    (wx, nx), (wy, ny) = latents(G, 0), latents(G, 1)
    source = record_activations(G, wy, ny, ["c8"])
    out = G.synthesis(wx, nx, edit=spatial_blend(source, torch.ones(1, 1, 16, 16)))
    # all of c8 copied: the output differs from x's wherever y's coarse content differs
    assert not torch.allclose(out, G.synthesis(wx, nx))
    seen = record_activations(G, wx, nx, ["c8"])  # recording does not edit
    assert not torch.equal(seen["c8"], source["c8"])

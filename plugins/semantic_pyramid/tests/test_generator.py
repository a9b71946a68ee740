"""The mirrored generator: the masked features are what conditions it, gradients stop at
the frozen classifier, and the networks' sizes at the paper's 256x256 Places365 config."""

import pytest
import torch

import ganforge
from ganforge_semantic_pyramid.masks import single_level


def cond(images, mask, z):
    return ganforge.Condition(exemplar=images, pyramid_mask=mask, z=z)


def test_output_and_what_the_masks_let_through(semantic_pyramid, tiny, data, images):
    torch.manual_seed(0)
    G = ganforge.build("generator", tiny["generator"], data).eval()
    z = torch.randn(1, 8).expand(2, 8)
    off = torch.zeros(2, 7, 64, 64)
    with torch.no_grad():
        out = G(cond(images, off, z))
        assert out.shape == (2, 3, 64, 64) and out.abs().max() <= 1
        # nothing fed: the two references give the same image for the same z
        assert torch.allclose(out[0], out[1], atol=1e-6)
        for level in ("conv1", "conv5", "fc7", "fc8"):
            fed = G(cond(images, single_level(level, 2, (64, 64)), z))
            assert not torch.allclose(fed[0], fed[1], atol=1e-4), level
        # a conv level fed only in the left half changes only what its features reach
        half = single_level("conv1", 2, (64, 64))
        half[..., 32:] = 0
        diff = (G(cond(images, half, z)) - G(cond(images.flip(0), half, z))).abs()
        assert diff[..., :24].mean() > 10 * diff[..., 44:].mean()


def test_gradients_reach_the_generator_not_the_classifier(semantic_pyramid, tiny, data, images):
    G = ganforge.build("generator", tiny["generator"], data)
    G(cond(images, single_level("conv3", 2, (64, 64)), torch.randn(2, 8))).mean().backward()
    own = [p for n, p in G.named_parameters() if not n.startswith("classifier.")]
    assert all(p.grad is not None for p in own)
    assert all(p.grad is None and not p.requires_grad for p in G.classifier.parameters())


def test_bad_resolution_and_z_width_are_clear_errors(semantic_pyramid, tiny, data, images):
    with pytest.raises(ganforge.ConfigError, match="resolution 48x64 must be a multiple of 32"):
        ganforge.build("generator", tiny["generator"], data.model_copy(update={"resolution": (48, 64)}))
    G = ganforge.build("generator", tiny["generator"], data)
    with pytest.raises(ValueError, match="z has width 3, expected z_dim 8"):
        G(cond(images, single_level(0, 2, (64, 64)), torch.randn(2, 3)))


# No official code exists: these are our networks' sizes at the paper's setting (256x256,
# VGG16 with 365 Places classes), recorded so that a change to them is deliberate.
PAPER_COUNTS = {"generator": 165_528_262, "classifier": 135_755_949, "discriminator": 38_419_137}


def test_parameter_counts_at_the_papers_config(semantic_pyramid):
    data = ganforge.DataInfo(fields=frozenset({"exemplar", "pyramid_mask", "z"}), resolution=(256, 256))
    with torch.device("meta"):
        G = ganforge.build("generator", {"type": "semantic_pyramid",
                                         "classifier": {"type": "vgg16_pyramid", "weights": "none"}}, data)
        D = ganforge.build("discriminator", "semantic_pyramid", data)
    count = lambda m: sum(p.numel() for p in m.parameters())
    assert {"generator": count(G) - count(G.classifier), "classifier": count(G.classifier),
            "discriminator": count(D)} == PAPER_COUNTS
    # most of G is the fc7 -> conv5-grid expansion that mirrors VGG's 25088 x 4096 fc6
    assert count(G.expand) == 4096 * 512 * 8 * 8 + 512 * 8 * 8

"""The recipe: what it adds to the condition, its losses' values, and a short real run."""

import torch

import ganforge
from ganforge.testing import short_run, window_means
from ganforge_semantic_pyramid.masks import single_level
from ganforge_semantic_pyramid.strategy import SemanticPyramid, SemanticPyramidParams


def config(tiny) -> dict:
    return {"data": {"type": "synthetic", "resolution": 32, "fields": ["class_label"], "length": 64},
            "models": {"generator": tiny["generator"], "discriminator": tiny["discriminator"]},
            "strategy": {"type": "semantic_pyramid"},
            "optim": {"generator": {"lr": 1e-3, "betas": [0.0, 0.999]},
                      "discriminator": {"lr": 1e-3, "betas": [0.0, 0.999]}},
            "train": {"batch_size": 4, "precision": "fp32", "seed": 0}}


def test_reconstruction_counts_only_the_fed_levels(semantic_pyramid, tiny, data, images):
    G = ganforge.build("generator", tiny["generator"], data)
    recipe = SemanticPyramid(SemanticPyramidParams(), data)
    other = images.flip(0)
    assert recipe.reconstruction(G.classifier, images, images, single_level("conv2", 2, (64, 64))) == 0
    on_fc8 = recipe.reconstruction(G.classifier, other, images, single_level("fc8", 2, (64, 64)))
    target, ours = G.classifier.pyramid(images)[6], G.classifier.pyramid(other)[6]
    assert torch.allclose(on_fc8, (ours - target).abs().mean())
    assert recipe.reconstruction(G.classifier, other, images, torch.zeros(2, 7, 64, 64)) == 0


def test_diversity_is_the_ratio_of_noise_to_image_distance():
    z1, z2 = torch.zeros(2, 4), torch.ones(2, 4)
    x1, x2 = torch.zeros(2, 3, 4, 4), torch.full((2, 3, 4, 4), 0.5)
    assert torch.isclose(SemanticPyramid.diversity(z1, z2, x1, x2), torch.tensor(2.0))


def test_short_run_learns(semantic_pyramid, tiny, tmp_path):
    logs = short_run(config(tiny), tmp_path, 16)
    assert {"d_real", "d_fake", "g_adv", "g_rec", "g_div"} <= set(logs[-1])
    first, last = window_means(logs, "d_loss", 4)
    assert last < first

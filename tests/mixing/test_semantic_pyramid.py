"""Semantic Pyramid (plugins/semantic_pyramid) mixed with other papers:

* SPADE's normalizer (plugins/spade, ``spade``) in the Semantic Pyramid generator: the
  synthetic world's label map conditions every block on top of the classifier features;
  trained by the Semantic Pyramid recipe.
* SPADE's multi-scale PatchGAN discriminator and hinge loss in the Semantic Pyramid recipe.
* The classifier encoder (``vgg16_pyramid``) provides its fc7 code as ``style``, which
  StarGAN v2's AdaIN normalizer (plugins/stargan_v2, ``adain``) reads inside the generator.
"""

from __future__ import annotations

import copy

import pytest
import torch

import ganforge
from ganforge.config import from_dict, verify
from ganforge.testing import short_run, window_means
from ganforge_semantic_pyramid.masks import single_level

CLASSIFIER = {"type": "vgg16_pyramid", "weights": "none", "width": 0.0625, "num_classes": 10}
GENERATOR = {"type": "semantic_pyramid", "z_dim": 8, "channels": [16, 16, 8, 8, 8], "classifier": CLASSIFIER}
CONFIG = {
    "data": {"type": "synthetic", "resolution": 32, "fields": ["label"], "length": 64},
    "models": {
        "generator": {**GENERATOR, "norm": {"type": "spade", "nhidden": 8}},
        "discriminator": {"type": "semantic_pyramid", "ndf": 4, "mults": [1, 2, 2]},
    },
    "strategy": {"type": "semantic_pyramid"},
    "optim": {"generator": {"lr": 1e-3, "betas": [0.0, 0.999]}, "discriminator": {"lr": 1e-3, "betas": [0.0, 0.999]}},
    "train": {"batch_size": 4, "precision": "fp32", "seed": 0},
}


def test_spade_norm_in_the_pyramid_generator_validates_and_trains(ganforge_registry, tmp_path):
    info = verify(from_dict(CONFIG))
    assert {"label", "exemplar", "pyramid_mask", "z"} <= info.fields  # the recipe adds the last three
    logs = short_run(CONFIG, tmp_path, 16)
    assert {"g_adv", "g_rec", "g_div"} <= set(logs[-1])
    first, last = window_means(logs, "d_loss", 4)
    assert last < first


def test_without_a_label_map_spades_norm_is_a_clear_error(ganforge_registry):
    config = copy.deepcopy(CONFIG)
    config["data"]["fields"] = ["class_label"]
    with pytest.raises(ganforge.ConditionMismatch, match=r"models.generator.*'label'"):
        verify(from_dict(config))


def test_spade_discriminator_and_hinge_loss_in_the_pyramid_recipe(ganforge_registry, tmp_path):
    config = copy.deepcopy(CONFIG)
    config["models"]["generator"] = GENERATOR
    config["models"]["discriminator"] = {"type": "multiscale_patch", "ndf": 8, "n_layers": 2, "num_D": 2}
    config["strategy"]["gan_loss"] = "hinge"
    verify(from_dict(config))
    logs = short_run(config, tmp_path, 16)
    first, last = window_means(logs, "d_loss", 4)
    assert last < first


def test_the_classifiers_fc7_code_drives_adain_in_the_generator(ganforge_registry):
    # 64 px: AdaIN's instance norm needs more than the 1x1 conv5 grid of a 32 px image
    data = ganforge.DataInfo(fields=frozenset({"exemplar", "pyramid_mask", "z", "style"}), resolution=(64, 64))
    torch.manual_seed(0)
    encoder = ganforge.build("encoder", CLASSIFIER, data)
    generator = ganforge.build("generator", {**GENERATOR, "norm": {"type": "adain", "style_dim": 256}}, data)
    images = torch.rand(2, 3, 64, 64) * 2 - 1
    style = encoder(images, ganforge.Condition())["style"]
    assert style.shape == (2, 256)
    same = images[:1].expand(2, -1, -1, -1)  # one reference, two styles: only AdaIN tells them apart
    cond = ganforge.Condition(exemplar=same, pyramid_mask=single_level("conv1", 2, (64, 64)),
                              z=torch.zeros(2, 8), style=style)
    out = generator(cond)
    assert not torch.allclose(out[0], out[1], atol=1e-4)
    assert torch.allclose(*generator(cond.replace(style=style[:1].expand(2, -1))), atol=1e-5)

"""Every BachGAN component passes the core's conformance checks."""

from __future__ import annotations

import torch

from ganforge import Condition, DataInfo
from ganforge.testing import check_component

DATA = DataInfo(fields=frozenset({"label", "boxes", "retrieved"}), resolution=(32, 32), label_nc=4)


def test_generator():
    checked = check_component("generator", "bachgan", {"ngf": 2, "norm": {"type": "fused_spade", "nhidden": 4}},
                              data=DATA, dims={"M": 3})
    assert checked.output.shape == (2, 3, 32, 32)
    assert {"forward shapes", "backward reaches every trainable parameter", "state_dict round trip"} <= set(
        checked.checks)


def test_fused_spade_normalizer():
    layout = torch.rand(2, 4, 32, 32)
    checked = check_component("normalizer", "fused_spade", {"nhidden": 4}, data=DATA,
                              call=lambda m, c: m(torch.randn(2, 8, 32, 32), Condition(layout=layout)))
    assert checked.output.shape == (2, 8, 32, 32)


def test_discriminator():
    checked = check_component("discriminator", "bachgan_patch", {"ndf": 4, "n_layers": 2}, data=DATA)
    assert len(checked.output.scores) == 2


def test_retrieval_strategy():
    checked = check_component("strategy", "background_retrieval",
                              {"pool_data": {"type": "synthetic", "resolution": 32, "length": 4}}, data=DATA)
    assert checked.component.provides == {"retrieved"}

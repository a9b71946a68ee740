"""The labelled fraction: a seeded subset keeps its labels, the rest are hidden as -1."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ganforge
from ganforge_semit.data import SemiSupervised, labelled_subset

WORLD = {"type": "synthetic", "resolution": 16, "num_domains": 3, "fields": ["domain"], "length": 40}


def wrapper(**params) -> SemiSupervised:
    return ganforge.build("dataset", {"type": "semi_supervised", "field": "domain", "dataset": WORLD, **params})


def test_exact_fraction_and_deterministic():
    mask = labelled_subset(1000, 0.1, seed=3)
    assert mask.sum() == 100
    assert np.array_equal(mask, labelled_subset(1000, 0.1, seed=3))
    assert not np.array_equal(mask, labelled_subset(1000, 0.1, seed=4))
    assert labelled_subset(1000, 0.2, seed=3).sum() == 200


def test_hidden_labels_keep_their_truth_outside_the_condition():
    data = wrapper(labelled_fraction=0.25, seed=1)
    world = data.inner
    kept = 0
    for i in range(len(data)):
        sample, truth = data[i], world[i]["domain"]
        assert int(sample["index"]) == i and int(sample["true_domain"]) == int(truth)
        if bool(sample["labelled"]):
            kept += 1
            assert int(sample["domain"]) == int(truth)
        else:
            assert int(sample["domain"]) == -1
        assert torch.equal(sample["image"], world[i]["image"])
    assert kept == 10
    assert data.info().num_domains == 3


def test_missing_field_is_an_error_naming_it():
    data = ganforge.build("dataset", {"type": "semi_supervised", "field": "class_label", "dataset": WORLD})
    with pytest.raises(ganforge.DataError, match="class_label"):
        data.info()

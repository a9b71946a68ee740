"""FID's bootstrap standard deviation and the warning for fewer samples than feature
dimensions (FID and KID), with the synthetic feature network at random weights."""

import warnings

import pytest
import torch

import ganforge
from ganforge.metrics import FID, KID, SampleSizeWarning

DATA = ganforge.DataInfo(fields=frozenset(), resolution=(32, 32))
SYNTHETIC = {"network": "synthetic", "weights": "none"}


def images(n, seed, shift=0.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 3, 32, 32, generator=g) * 2 - 1 + shift).clamp(-1, 1)


def fid(n, bootstrap=10):
    metric = FID(FID.Params(**SYNTHETIC, bootstrap=bootstrap), DATA)
    metric.update(images(n, 1, 0.3), images(n, 2))
    return metric


def test_bootstrap_std_is_the_spread_of_resampled_fids():
    metric = fid(160, bootstrap=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 160 samples >= 128 dimensions: no warning
        out = metric.compute()
    assert set(out) == {"fid", "fid_std"}
    assert 0 < out["fid_std"] < out["fid"]
    assert metric.compute() == out  # seeded: the same resamples every time
    metric.params = metric.params.model_copy(update={"bootstrap_seed": 1})
    assert metric.compute()["fid_std"] != out["fid_std"]
    metric.params = metric.params.model_copy(update={"bootstrap": 0})
    assert metric.compute() == {"fid": out["fid"]}


def test_fewer_samples_than_dimensions_warn():
    with pytest.warns(SampleSizeWarning, match=r"metric 'fid': 16 fake, 16 real samples for 128-d features"):
        fid(16, bootstrap=0).compute()
    kid = KID(KID.Params(**SYNTHETIC, subset_size=8, subsets=3), DATA)
    kid.update(images(16, 1), images(16, 2))
    with pytest.warns(SampleSizeWarning, match=r"metric 'kid': 16 fake, 16 real samples for 128-d"):
        assert set(kid.compute()) == {"kid", "kid_std"}

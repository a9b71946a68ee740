"""Reference statistics: the keyed cache, atomic files, pytorch-fid's format."""

import numpy as np
import pytest
import torch

from ganforge import DataError
from ganforge.metrics import GaussianStatistics, StatisticsCache, frechet_distance, load_statistics, statistics_key

FIELDS = {"dataset": "synthetic/shapes", "resolution": 64, "features": "fid_inception:none:tf1_bilinear", "n": 100}


def gaussian(seed, d=8):
    x = np.random.default_rng(seed).standard_normal((50, d))
    return GaussianStatistics(x.mean(0), np.cov(x, rowvar=False), n=50)


def test_cache_computes_once_per_key_and_stores_atomically(tmp_path):
    cache, calls = StatisticsCache(tmp_path), []

    def compute():
        calls.append(1)
        return gaussian(0)

    first = cache.get(FIELDS, compute)
    again = cache.get(dict(reversed(list(FIELDS.items()))), compute)  # key order does not matter
    assert len(calls) == 1
    torch.testing.assert_close(again.sigma, first.sigma, rtol=0, atol=0)
    torch.testing.assert_close(again.factor, first.factor, rtol=0, atol=0)  # the factorisation is cached too
    assert again.n == 50
    assert [p.name for p in tmp_path.iterdir()] == [f"stats-{statistics_key(FIELDS)}.npz"]  # no temporary left
    for field, value in [("resolution", 128), ("features", "fid_inception:abc:pil_bicubic"), ("n", 101)]:
        assert cache.path({**FIELDS, field: value}) != cache.path(FIELDS)
    cache.get({**FIELDS, "n": 101}, compute)
    assert len(calls) == 2


def test_pytorch_fid_statistics_files_load(tmp_path):
    g = gaussian(1)
    np.savez_compressed(tmp_path / "fid_stats.npz", mu=g.mu.numpy(), sigma=g.sigma.numpy())  # pytorch-fid --save-stats
    loaded = load_statistics(tmp_path / "fid_stats.npz")
    assert frechet_distance(loaded, gaussian(2)) == pytest.approx(frechet_distance(g, gaussian(2)), rel=1e-12)


def test_bad_statistics_files_are_named(tmp_path):
    np.savez(tmp_path / "no_sigma.npz", mu=np.zeros(3))
    with pytest.raises(DataError, match=r"no_sigma.npz' lack \['sigma'\]"):
        load_statistics(tmp_path / "no_sigma.npz")
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="cannot read reference statistics .*broken.npz"):
        load_statistics(tmp_path / "broken.npz")

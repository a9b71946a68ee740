"""The Fréchet distance against scipy's sqrtm and closed forms; streaming statistics."""

import numpy as np
import pytest
import scipy.linalg
import torch

from ganforge.metrics import FeatureStatistics, GaussianStatistics, covariance_factor, frechet_distance


def scipy_frechet(mu1, s1, mu2, s2) -> float:
    """pytorch-fid's formula: sqrtm of the non-symmetric product."""
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def random_covariance(rng, d, n):
    x = rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) / np.sqrt(d)
    return x.mean(0), np.cov(x, rowvar=False)


def commuting_pair(rng, a, b):
    """S1 = Q diag(a) Q^T, S2 = Q diag(b) Q^T: tr sqrt(S1 S2) = sum sqrt(a b) exactly."""
    q, _ = np.linalg.qr(rng.standard_normal((len(a), len(a))))
    return (q * a) @ q.T, (q * b) @ q.T


@pytest.mark.parametrize("d", [8, 64, 128])
def test_matches_scipy_sqrtm_on_well_conditioned_covariances(d):
    rng = np.random.default_rng(d)
    mu1, s1 = random_covariance(rng, d, 4 * d)
    mu2, s2 = random_covariance(rng, d, 4 * d)
    ours = frechet_distance(GaussianStatistics(mu1, s1), GaussianStatistics(mu2, s2))
    assert ours == pytest.approx(scipy_frechet(mu1, s1, mu2, s2), rel=1e-9)


def test_symmetric_in_its_arguments():
    rng = np.random.default_rng(1)
    a, b = GaussianStatistics(*random_covariance(rng, 32, 100)), GaussianStatistics(*random_covariance(rng, 32, 100))
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-11)


def test_commuting_covariances_closed_form():
    rng = np.random.default_rng(2)
    a, b = rng.uniform(0.1, 3.0, 128), rng.uniform(0.1, 3.0, 128)
    s1, s2 = commuting_pair(rng, a, b)
    mu1, mu2 = rng.standard_normal(128), rng.standard_normal(128)
    exact = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(GaussianStatistics(mu1, s1), GaussianStatistics(mu2, s2)) == pytest.approx(exact, rel=1e-9)


def test_singular_and_near_singular_covariances_use_the_clamped_fallback():
    """Half the spectrum is zero or 1e-14: Cholesky fails and the eigh factor takes over.

    Any float64 method resolves an eigenvalue near zero only to ~eps |S|, and its square
    root to ~sqrt(eps |S|) = 3e-8: with 32 such eigenvalues the closed form holds to
    ~1e-6 absolute (scipy's sqrtm is off by the same order here), hence rel=1e-7."""
    rng = np.random.default_rng(3)
    a = np.concatenate([rng.uniform(0.5, 2.0, 32), np.zeros(16), np.full(16, 1e-14)])
    b = rng.uniform(0.5, 2.0, 64)
    s1, s2 = commuting_pair(rng, a, b)
    assert torch.linalg.cholesky_ex(torch.from_numpy(s1))[1] != 0
    f = covariance_factor(s1)
    np.testing.assert_allclose((f @ f.T).numpy(), s1, atol=1e-12)
    exact = np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    mu = np.zeros(64)
    assert frechet_distance(GaussianStatistics(mu, s1), GaussianStatistics(mu, s2)) == pytest.approx(exact, rel=1e-7)
    # rank-deficient sample covariances (fewer samples than dimensions), both ways round
    mu1, s1 = random_covariance(rng, 64, 20)
    mu2, s2 = random_covariance(rng, 64, 200)
    ref = scipy_frechet(mu1, s1, mu2, s2)
    assert frechet_distance(GaussianStatistics(mu1, s1), GaussianStatistics(mu2, s2)) == pytest.approx(ref, rel=1e-7)
    assert frechet_distance(GaussianStatistics(mu2, s2), GaussianStatistics(mu1, s1)) == pytest.approx(ref, rel=1e-7)


def test_identical_gaussians_are_at_distance_zero():
    rng = np.random.default_rng(4)
    g = GaussianStatistics(*random_covariance(rng, 48, 200))
    assert abs(frechet_distance(g, g)) < 1e-10


def test_mismatched_dimensions_are_an_error():
    with pytest.raises(ValueError, match="feature dimensions differ: 3 vs 4"):
        frechet_distance(GaussianStatistics(np.zeros(3), np.eye(3)), GaussianStatistics(np.zeros(4), np.eye(4)))
    with pytest.raises(ValueError, match=r"mu of shape \(D,\) and sigma \(D, D\)"):
        GaussianStatistics(np.zeros(3), np.eye(4))


def test_streaming_float64_statistics_equal_a_one_shot_computation():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((300, 16)).astype(np.float32) * 3 + 100  # offset stresses sum x x^T
    stats = FeatureStatistics(16)
    for chunk in np.array_split(x, 7):
        stats.update(torch.from_numpy(chunk))
    g = stats.gaussian()
    assert g.n == 300
    np.testing.assert_allclose(g.mu.numpy(), x.astype(np.float64).mean(0), rtol=1e-13)
    np.testing.assert_allclose(g.sigma.numpy(), np.cov(x.astype(np.float64), rowvar=False), rtol=1e-9, atol=1e-10)


def test_merge_equals_accumulating_everything_in_one():
    rng = np.random.default_rng(6)
    parts = [torch.from_numpy(rng.standard_normal((n, 8))) for n in (5, 11, 2)]
    whole, merged = FeatureStatistics(8), FeatureStatistics(8)
    for p in parts:
        whole.update(p)
        one = FeatureStatistics(8)
        one.update(p)
        merged.merge(one)
    assert merged.n == whole.n == 18
    torch.testing.assert_close(merged.sum_outer, whole.sum_outer, rtol=0, atol=1e-12)
    # not distributed: all_reduced is an independent copy
    copy = whole.all_reduced()
    copy.update(parts[0])
    assert whole.n == 18 and copy.n == 23


def test_statistics_errors_name_the_problem():
    stats = FeatureStatistics(4)
    with pytest.raises(ValueError, match=r"expected features of shape \(N, 4\), got \(2, 3\)"):
        stats.update(torch.zeros(2, 3))
    stats.update(torch.zeros(1, 4))
    with pytest.raises(ValueError, match="at least 2 samples, got 1"):
        stats.gaussian()


def test_pivoted_cholesky_finds_the_numerical_rank_and_reproduces_the_matrix():
    rng = np.random.default_rng(7)
    a = np.concatenate([rng.uniform(0.5, 2.0, 10), np.zeros(20), np.full(10, -1e-15)])  # rounding-negative too
    s, _ = commuting_pair(rng, a, a)
    f = covariance_factor(s)
    assert f.shape == (40, 10)
    np.testing.assert_allclose((f @ f.T).numpy(), s, atol=1e-13)
    x = rng.standard_normal((5, 300))  # 5 samples in 300 dimensions: rank 4
    f = covariance_factor(np.cov(x, rowvar=False))
    assert f.shape == (300, 4)

"""FID, KID and IS end to end against torch-fidelity, with a random network both load.

Pretrained weights cannot be downloaded here: the test writes a randomly initialised
Inception in the layout of pytorch-fid's checkpoint (torchvision's inception_v3 with 1008
classes), loads it into ganforge's network and into torch-fidelity's, and compares.
"""

import numpy as np
import pytest
import torch
import torchvision
from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
from torch_fidelity.metric_isc import isc_features_to_metric
from torch_fidelity.metric_kid import kid_features_to_metric

from ganforge import DataInfo
from ganforge.metrics import (FID, KID, FIDInceptionV3, GaussianStatistics, InceptionScore, MissingWeights,
                              frechet_distance, inception_score, kernel_inception_distance, load_fid_inception,
                              save_statistics, to_uint8)
from ganforge.weights import random_init_

KID_KWARGS = dict(kid_kernel="poly", kid_kernel_poly_degree=3, kid_kernel_poly_gamma=None, kid_kernel_poly_coef0=1,
                  rng_seed=2020, verbose=False)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Weights in pytorch-fid's layout, 3 fake and 3 real images, ganforge's metrics updated
    once and torch-fidelity's features of the same images."""
    tv = torchvision.models.inception_v3(num_classes=1008, aux_logits=False, weights=None, init_weights=False)
    path = tmp_path_factory.mktemp("weights") / "pt_inception-2015-12-05-6726825d.pth"
    torch.save(random_init_(tv, seed=1).state_dict(), path)
    gen = torch.Generator().manual_seed(0)
    fake = torch.rand(3, 3, 32, 32, generator=gen) * 2 - 1
    ramp = torch.linspace(-1, 1, 32)
    real = (ramp.view(1, 1, 1, 32) * torch.rand(3, 3, 1, 1, generator=gen)).expand(3, 3, 32, 32).contiguous()
    data = DataInfo()
    fid = FID(FID.Params(weights=str(path)), data)
    kid = KID(KID.Params(weights=str(path), subsets=5, subset_size=2), data)
    isc = InceptionScore(InceptionScore.Params(weights=str(path), splits=2), data)
    calls = []
    handle = fid.features.net.register_forward_hook(lambda *a: calls.append(1))
    for metric in (fid, kid, isc):
        metric.update(fake, real)
    handle.remove()
    theirs = FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits_unbiased"],
                                         feature_extractor_weights_path=str(path))
    with torch.no_grad():
        t_fake, t_real = theirs(to_uint8(fake)), theirs(to_uint8(real))
    return dict(path=path, fake=fake, real=real, fid=fid, kid=kid, isc=isc, calls=len(calls),
                fid_value=fid.compute()["fid"], theirs={"fake": t_fake, "real": t_real})


def test_network_has_pytorch_fid_checkpoint_layout_and_size():
    ours = FIDInceptionV3().state_dict()
    tv = torchvision.models.inception_v3(num_classes=1008, aux_logits=False, weights=None,
                                         init_weights=False).state_dict()
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in tv.items()}
    assert sum(p.numel() for p in FIDInceptionV3().parameters()) == 23_850_960


def test_features_equal_torch_fidelity(world):
    ours = world["fid"].features(world["fake"])
    t_pool, t_logits = world["theirs"]["fake"]
    torch.testing.assert_close(ours["pool"], t_pool, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(ours["logits_unbiased"], t_logits, rtol=1e-5, atol=1e-6)
    assert ours["pool"].std(0).mean() > 1e-3  # the random network still tells images apart


def test_metrics_sharing_a_network_extract_features_once(world):
    assert world["fid"].features is world["kid"].features is world["isc"].features
    assert world["calls"] == 2  # fake and real, once each, for three metrics


def test_fid_equals_the_frechet_distance_of_torch_fidelitys_features(world):
    """Same images -> same features (above) -> the same FID. (torch-fidelity's own
    ``eigvals`` on these statistics agreed to 8.7e-8 relative when checked once; it is
    left out here because a 2048-d non-symmetric eigendecomposition costs seconds.)"""
    stats = {}
    for k in ("fake", "real"):
        f = world["theirs"][k][0].double().numpy()
        stats[k] = GaussianStatistics(f.mean(0), np.cov(f, rowvar=False))
    expected = frechet_distance(stats["real"], stats["fake"])
    assert expected > 0.1
    assert world["fid_value"] == pytest.approx(expected, rel=1e-6)


def test_fid_against_stored_reference_statistics_equals_fid_against_real_images(world, tmp_path):
    real_stats = world["fid"].stats["real"].gaussian()
    save_statistics(tmp_path / "ref.npz", real_stats, {"dataset": "test"})
    fid = FID(FID.Params(weights=str(world["path"]), reference=str(tmp_path / "ref.npz")), DataInfo())
    assert not fid.uses_real
    fid.update(world["fake"], world["real"])
    assert fid.stats["real"].n == 0
    assert fid.compute()["fid"] == pytest.approx(world["fid_value"], rel=1e-12)


def test_kid_and_is_equal_torch_fidelity_on_the_same_images(world):
    t_fake, t_real = world["theirs"]["fake"][0], world["theirs"]["real"][0]
    expected = kid_features_to_metric(t_fake, t_real, kid_subsets=5, kid_subset_size=2, **KID_KWARGS)
    got = world["kid"].compute()
    assert got["kid"] == pytest.approx(expected["kernel_inception_distance_mean"], rel=1e-5)
    assert got["kid_std"] == pytest.approx(expected["kernel_inception_distance_std"], rel=1e-4)
    expected = isc_features_to_metric(world["theirs"]["fake"][1], splits=2)
    got = world["isc"].compute()
    assert got["is"] == pytest.approx(expected["inception_score_mean"], rel=1e-6)
    assert got["is_std"] == pytest.approx(expected["inception_score_std"], rel=1e-4, abs=1e-9)


def test_kid_draws_torch_fidelitys_subsets():
    gen = torch.Generator().manual_seed(3)
    f1 = torch.randn(120, 512, generator=gen)
    f2 = torch.randn(90, 512, generator=gen) * 1.2 + 0.1
    mean, std = kernel_inception_distance(f1, f2, subsets=10, subset_size=50)
    expected = kid_features_to_metric(f1, f2, kid_subsets=10, kid_subset_size=50, **KID_KWARGS)
    assert mean == pytest.approx(expected["kernel_inception_distance_mean"], rel=1e-5)
    assert std == pytest.approx(expected["kernel_inception_distance_std"], rel=1e-4)
    assert mean > 0.01
    with pytest.raises(ValueError, match=r"subset_size 100 exceeds the number of samples \(fake: 120, real: 90\)"):
        kernel_inception_distance(f1, f2, subsets=1, subset_size=100)


def test_inception_score_equals_torch_fidelity():
    logits = torch.randn(50, 1008, generator=torch.Generator().manual_seed(4)) * 3
    expected = isc_features_to_metric(logits, splits=10)
    mean, std = inception_score(logits, splits=10)
    assert mean == pytest.approx(expected["inception_score_mean"], rel=1e-12)
    assert std == pytest.approx(expected["inception_score_std"], rel=1e-9)
    # a classifier certain of 1008 distinct classes scores 1008; a constant one scores 1
    assert inception_score(torch.eye(1008) * 1e3, splits=1, shuffle=False)[0] == pytest.approx(1008, rel=1e-9)
    assert inception_score(torch.zeros(20, 1008), splits=2)[0] == pytest.approx(1.0, rel=1e-12)


def test_missing_weights_name_the_file_and_the_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(MissingWeights) as err:
        load_fid_inception("hub")
    msg = str(err.value)
    assert "pt_inception-2015-12-05-6726825d.pth" in msg and str(tmp_path / "hub" / "checkpoints") in msg
    with pytest.raises(MissingWeights, match="nowhere/inception.pth' not found"):
        FID(FID.Params(weights=str(tmp_path / "nowhere" / "inception.pth")), DataInfo())


def test_wrong_checkpoint_is_an_error_naming_it(tmp_path):
    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(Exception, match="other.pth' is not the 2015-12-05 Inception graph"):
        load_fid_inception(str(tmp_path / "other.pth"))


def test_random_weights_are_reproducible():
    a, h = load_fid_inception("none")
    b, _ = load_fid_inception("none")
    assert h == "none"
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_fid_and_kid_need_real_images(world):
    fid = FID(FID.Params(weights=str(world["path"])), DataInfo())
    fid.update(world["fake"])
    with pytest.raises(ValueError, match="no real images were given"):
        fid.compute()
    kid = KID(KID.Params(weights=str(world["path"])), DataInfo())
    kid.update(world["fake"])
    with pytest.raises(ValueError, match="metric 'kid' needs both generated and real images"):
        kid.compute()

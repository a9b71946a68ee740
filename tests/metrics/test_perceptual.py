"""LPIPS against the lpips package with the same backbone weights and its shipped lin layers."""

import warnings

import lpips
import pytest
import torch
import torchvision

from ganforge import DataInfo
from ganforge.metrics import LPIPS, LPIPSDiversity, LPIPSNetwork, MissingWeights
from ganforge.metrics.perceptual import SLICES
from ganforge.weights import random_init_


@pytest.fixture(scope="module", params=["alex", "vgg"])
def pair(request, tmp_path_factory):
    """ganforge's and the lpips package's LPIPS with one random ImageNet-layout backbone."""
    net = request.param
    with torch.device("meta"):
        features = {"alex": torchvision.models.alexnet, "vgg": torchvision.models.vgg16}[net]().features
    features = random_init_(features.to_empty(device="cpu"), seed=2)
    sd = {f"features.{k}": v for k, v in features.state_dict().items()}  # the classifier is not read
    path = tmp_path_factory.mktemp("w") / f"{net}.pth"
    torch.save(sd, path)
    ours = LPIPSNetwork(net, backbone_weights=str(path), lin_weights="lpips")
    with warnings.catch_warnings(), torch.device("meta"):  # skip initialising VGG's unused classifier
        warnings.simplefilter("ignore")
        theirs = lpips.LPIPS(pretrained=False, net=net, pnet_rand=True, verbose=False)
    theirs = theirs.to_empty(device="cpu")
    theirs.scaling_layer = lpips.ScalingLayer()  # its constants, rebuilt off the meta device
    lin_file = lpips.__file__.replace("__init__.py", f"weights/v0.1/{net}.pth")
    theirs.load_state_dict(torch.load(lin_file, map_location="cpu", weights_only=True), strict=False)
    theirs.net.load_state_dict({f"slice{k + 1}.{x}.{p}": sd[f"features.{x}.{p}"]
                                for k, (a, b) in enumerate(SLICES[net]) for x in range(a, b)
                                for p in ("weight", "bias") if f"features.{x}.{p}" in sd})
    return net, ours, theirs.eval()


def images(seed, *shape):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_lpips_equals_the_lpips_package(pair):
    net, ours, theirs = pair
    x0, x1 = images(0, 2, 3, 32, 32), images(1, 2, 3, 32, 32)
    with torch.no_grad():
        expected = theirs(x0, x1).flatten()
        torch.testing.assert_close(ours(x0, x1), expected, rtol=1e-5, atol=1e-7)
        torch.testing.assert_close(ours(x0, x1, spatial=True), lpips.LPIPS.forward(
            _spatial(theirs), x0, x1), rtol=1e-5, atol=1e-7)
        assert (expected > 0).all() and ours(x0, x0).abs().max() < 1e-6


def _spatial(model):
    model.spatial = True
    return model



def test_lpips_diversity_follows_stargan_v2():
    net = LPIPSNetwork("alex", backbone_weights="none", lin_weights="lpips")
    fake = images(3, 2, 3, 3, 32, 32)  # 2 inputs, 3 outputs each
    metric = LPIPSDiversity(LPIPSDiversity.Params(backbone_weights="none"), DataInfo())
    metric.update(fake)
    with torch.no_grad():
        per_input = [(net(fake[:, 0], fake[:, 1]) + net(fake[:, 0], fake[:, 2]) + net(fake[:, 1], fake[:, 2])) / 3]
    assert metric.compute()["lpips_diversity"] == pytest.approx(float(per_input[0].mean()), rel=1e-6)
    with pytest.raises(ValueError, match=r"\(B, K >= 2, C, H, W\).*got \(2, 3, 32, 32\)"):
        metric.update(fake[:, 0])


def test_paired_lpips_metric_and_its_errors(tmp_path, monkeypatch):
    metric = LPIPS(LPIPS.Params(backbone_weights="none"), DataInfo())
    x = images(4, 2, 3, 32, 32)
    metric.update(x, x)
    assert metric.compute()["lpips"] == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="pass `real` of shape"):
        metric.update(x)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(MissingWeights, match=r"alexnet-owt-7be5be79.pth.*" + str(tmp_path / "hub" / "checkpoints")):
        LPIPS(LPIPS.Params(), DataInfo())
    vgg_lin = lpips.__file__.replace("__init__.py", "weights/v0.1/vgg.pth")
    with pytest.raises(Exception, match="expected .*lin0.model.1.weight"):
        LPIPSNetwork("alex", backbone_weights="none", lin_weights=vgg_lin)


def test_unit_lin_weights_give_non_negative_distances_that_grow_with_the_difference():
    net = LPIPSNetwork("alex", backbone_weights="none", lin_weights="ones")
    assert all(float(getattr(net, f"lin{i}").model[1].weight.min()) == 1.0 for i in range(5))
    x = images(5, 2, 3, 32, 32)
    near, far = x + 0.05 * images(6, 2, 3, 32, 32), x + 0.5 * images(6, 2, 3, 32, 32)
    with torch.no_grad():
        d_same, d_near, d_far = net(x, x), net(x, near), net(x, far)
    assert torch.equal(d_same, torch.zeros(2))
    assert (d_near > 0).all() and (d_far > d_near).all()

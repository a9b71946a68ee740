"""Losses against hand-computed values, and the VGG loss's weight loading."""

import pytest
import torch
import torchvision

import ganforge
from ganforge import DataInfo

SCALE_1 = torch.tensor([[-2.0, 0.5], [1.5, 0.0]]).view(1, 1, 2, 2)
SCALE_2 = torch.tensor([3.0, -0.5]).view(1, 1, 1, 2)


def loss(spade, name, **params):
    return ganforge.build("loss", {"type": name, **params}, DataInfo())


# per-scale means by hand, then averaged over the two scales
@pytest.mark.parametrize("real, for_d, expected", [
    (True, True, ((3 + 0.5 + 0 + 1) / 4 + (0 + 1.5) / 2) / 2),     # mean(relu(1 - x))
    (False, True, ((0 + 1.5 + 2.5 + 1) / 4 + (4 + 0.5) / 2) / 2),  # mean(relu(1 + x))
    (True, False, ((2 - 0.5 - 1.5 - 0) / 4 + (-3 + 0.5) / 2) / 2),  # -mean(x)
])
def test_hinge(spade, real, for_d, expected):
    assert loss(spade, "hinge")([SCALE_1, SCALE_2], real, for_d).item() == pytest.approx(expected)


def test_hinge_generator_only_aims_at_real(spade):
    with pytest.raises(ValueError, match="real=True"):
        loss(spade, "hinge")([SCALE_1], False, False)


@pytest.mark.parametrize("real, expected", [
    (True, ((9 + 0.25 + 0.25 + 1) / 4 + (4 + 2.25) / 2) / 2),   # mean((x - 1)^2)
    (False, ((4 + 0.25 + 2.25 + 0) / 4 + (9 + 0.25) / 2) / 2),  # mean(x^2)
])
def test_lsgan(spade, real, expected):
    for for_d in (True, False):  # least squares is the same for both players
        assert loss(spade, "lsgan")([SCALE_1, SCALE_2], real, for_d).item() == pytest.approx(expected)


def test_nonsaturating(spade):
    sp = torch.nn.functional.softplus
    x1, x2 = SCALE_1.flatten(), SCALE_2.flatten()
    real = (sp(-x1).mean() + sp(-x2).mean()) / 2  # -log sigmoid(x)
    fake = (sp(x1).mean() + sp(x2).mean()) / 2    # -log(1 - sigmoid(x))
    ns = loss(spade, "nonsaturating")
    assert ns([SCALE_1, SCALE_2], True, True).item() == pytest.approx(real.item())
    assert ns([SCALE_1, SCALE_2], False, True).item() == pytest.approx(fake.item())
    assert ns([SCALE_1, SCALE_2], True, False).item() == pytest.approx(real.item())
    assert ns(SCALE_1, True, True).item() == pytest.approx(sp(-x1).mean().item())  # one tensor = one scale


def test_feature_matching_sums_layers_and_averages_scales(spade):
    fake = [[torch.zeros(1, 2, 2, 2), torch.ones(1, 1, 2, 2)], [torch.full((1, 1, 1, 1), 3.0, requires_grad=True)]]
    real = [[torch.ones(1, 2, 2, 2), torch.ones(1, 1, 2, 2) * 3], [torch.zeros(1, 1, 1, 1, requires_grad=True)]]
    fm = loss(spade, "feature_matching")
    value = fm(fake, real)
    assert value.item() == pytest.approx(((1 + 2) + 3) / 2)
    value.backward()
    assert fake[1][0].grad is not None and real[1][0].grad is None  # real features are targets
    with pytest.raises(ValueError, match="same, non-zero number of scales"):
        fm(fake, real[:1])


def test_kl_matches_the_closed_form(spade):
    mu, logvar = torch.tensor([[0.5, -1.0]]), torch.tensor([[0.0, 1.0]])
    by_hand = -0.5 * ((1 + 0 - 0.25 - 1) + (1 + 1 - 1 - torch.e))
    assert loss(spade, "kl")(mu, logvar).item() == pytest.approx(float(by_hand))
    assert loss(spade, "kl")(torch.zeros(4, 8), torch.zeros(4, 8)).item() == 0.0  # N(0, I) itself


def test_vgg_matches_torchvision_slices(spade, tmp_path):
    """A torchvision-format weights file loads into the same layers as vgg19().features."""
    torch.manual_seed(0)
    reference = torchvision.models.vgg19(weights=None).features[:30].eval()
    path = tmp_path / "vgg19.pth"
    torch.save({f"features.{k}": v for k, v in reference.state_dict().items()}, path)
    perceptual = loss(spade, "vgg19_perceptual", path=str(path))
    x, y = torch.rand(1, 3, 32, 32) * 2 - 1, torch.rand(1, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        fx, fy, expected = x, y, 0.0
        for (start, end), w in zip(zip((0, 2, 7, 12, 21), (2, 7, 12, 21, 30)), (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1)):
            fx, fy = reference[start:end](fx), reference[start:end](fy)
            expected += w * (fx - fy).abs().mean()
    torch.testing.assert_close(perceptual(x, y), expected)
    assert not any(p.requires_grad for p in perceptual.parameters())
    assert perceptual(x, x).item() == 0.0


def test_vgg_gradient_reaches_fake_only(spade):
    perceptual = loss(spade, "vgg19_perceptual", weights="none").train()
    assert not perceptual.training  # a frozen feature extractor stays in eval mode
    fake = torch.rand(1, 3, 16, 16, requires_grad=True)
    real = torch.rand(1, 3, 16, 16, requires_grad=True)
    perceptual(fake, real).backward()
    assert fake.grad.abs().sum() > 0 and real.grad is None


def test_vgg_missing_weights_say_where_to_put_them(spade, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    with pytest.raises(ganforge.ConfigError) as err:
        loss(spade, "vgg19_perceptual")
    message = str(err.value)
    assert "vgg19-dcbb9e9d.pth" in message and str(tmp_path / "hub" / "checkpoints") in message
    bad = tmp_path / "not_vgg.pth"
    torch.save({"features.0.weight": torch.zeros(1)}, bad)
    with pytest.raises(ganforge.ConfigError, match="not a torchvision VGG19 state_dict"):
        loss(spade, "vgg19_perceptual", path=str(bad))

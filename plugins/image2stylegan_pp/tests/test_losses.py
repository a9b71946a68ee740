"""The masked VGG-16 losses: conformance, masks, Gram statistics, and the missing-weights error."""

import pytest
import torch

import ganforge
from ganforge.testing import check_component
from ganforge_image2stylegan_pp.losses import (PerceptualLoss, PerceptualParams, StyleLoss, StyleParams,
                                               VGG16Features, gram)

DATA = ganforge.DataInfo()


@pytest.mark.parametrize("name", ["image2stylegan_pp_perceptual", "image2stylegan_pp_style"])
def test_conformance(name):
    checked = check_component("loss", name, {"weights": "none"})
    assert "params documented" in checked.checks


def test_vgg_layers_are_the_papers_relu_outputs():
    vgg = VGG16Features(("conv1_1", "conv1_2", "conv3_2", "conv4_2"), "none")
    feats = vgg(torch.rand(1, 3, 32, 32) * 2 - 1)
    assert {n: tuple(f.shape[1:]) for n, f in feats.items()} == {
        "conv1_1": (64, 32, 32), "conv1_2": (64, 32, 32), "conv3_2": (256, 8, 8), "conv4_2": (512, 4, 4)}
    assert all(f.min() >= 0 for f in feats.values())  # after ReLU
    assert len(vgg.features) == 21  # stops at conv4_2's ReLU
    with pytest.raises(ganforge.ConfigError, match=r"VGG-16 layers \['conv9_9'\] unknown"):
        VGG16Features(("conv9_9",), "none")


def test_perceptual_loss_sees_only_the_masked_region():
    loss = PerceptualLoss(PerceptualParams(weights="none"), DATA)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    y = x.clone()
    y[..., :, 16:] = -x[..., :, 16:]  # differs on the right half only
    left = torch.zeros(1, 1, 32, 32)
    left[..., :16] = 1
    assert loss(x, x).item() == 0
    assert loss(x, y, left).item() == 0
    assert loss(x, y, 1 - left).item() > 0
    assert loss(x, y).item() > 0


def test_layer_weights_scale_their_layers_and_must_match():
    x, y = torch.rand(1, 3, 32, 32) * 2 - 1, torch.rand(1, 3, 32, 32) * 2 - 1
    one = PerceptualLoss(PerceptualParams(weights="none", layers=("conv1_1",)), DATA)(x, y)
    three = PerceptualLoss(PerceptualParams(weights="none", layers=("conv1_1",), layer_weights=(3.0,)), DATA)(x, y)
    torch.testing.assert_close(three, 3 * one)
    with pytest.raises(ganforge.ConfigError, match="2 layer_weights for 1 layers"):
        PerceptualLoss(PerceptualParams(weights="none", layers=("conv1_1",), layer_weights=(1.0, 2.0)), DATA)


def test_gram_is_normalised_and_the_style_loss_is_masked():
    f = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])  # (1, C=2, 1, 2)
    torch.testing.assert_close(gram(f), torch.tensor([[[5.0, 11.0], [11.0, 25.0]]]) / 4)
    loss = StyleLoss(StyleParams(weights="none"), DATA)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    y = torch.rand_like(x) * 2 - 1
    assert loss(x, x).item() == 0
    assert loss(x, y).item() > 0
    assert loss(x, y, torch.zeros(1, 1, 32, 32)).item() == 0


def test_missing_vgg_weights_name_the_file_and_the_hub_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(ganforge.ConfigError, match=r"vgg16-397923af\.pth.*" + str(tmp_path / "hub" / "checkpoints")):
        PerceptualLoss(PerceptualParams(), DATA)


def test_torchvision_checkpoint_keys_load_into_the_trunk(tmp_path):
    """A torchvision vgg16 state dict (features.N.* and classifier.*) loads; the classifier is skipped."""
    source = VGG16Features(("conv4_3",), "none")
    state = {f"features.{k}": v + 1 for k, v in source.features.state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(2, 2)
    torch.save(state, tmp_path / "vgg16.pth")
    vgg = VGG16Features(("conv1_2",), str(tmp_path / "vgg16.pth"))
    assert len(vgg.features) == 4
    torch.testing.assert_close(vgg.features[2].weight, source.features[2].weight + 1)


def test_images_larger_than_max_side_reach_vgg_downsampled():
    """As Image2StyleGAN feeds 1024 px faces to VGG at 256 px: a 64 px image with max_side 32 gives
    the features of its antialiased 32 px version; images at or below max_side pass unchanged."""
    import torch.nn.functional as F

    small = VGG16Features(("conv1_2",), "none", max_side=32)
    full = VGG16Features(("conv1_2",), "none")
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    down = F.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False, antialias=True)
    torch.testing.assert_close(small(x)["conv1_2"], full(down)["conv1_2"])
    assert small(x)["conv1_2"].shape[-2:] == (32, 32)
    torch.testing.assert_close(small(down)["conv1_2"], full(down)["conv1_2"])
    assert PerceptualLoss(PerceptualParams(weights="none"), DATA).vgg.max_side == 256  # the paper's default

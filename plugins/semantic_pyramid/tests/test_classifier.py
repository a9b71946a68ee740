"""The classifier pyramid: torchvision's VGG16 layout, the paper's seven levels, frozen,
and a clear error when the pre-trained weights are missing."""

import pytest
import torch
import torchvision

import ganforge
from ganforge_semantic_pyramid.classifier import LEVELS


def test_the_seven_levels_have_vgg16_shapes(semantic_pyramid, tiny, data, images):
    net = ganforge.build("encoder", tiny["encoder"], data)
    levels = net.pyramid(images)
    assert len(levels) == len(LEVELS) == 7
    assert [tuple(f.shape) for f in levels[:5]] == [(2, 4, 32, 32), (2, 8, 16, 16), (2, 16, 8, 8), (2, 32, 4, 4),
                                                      (2, 32, 2, 2)]
    assert tuple(levels[5].shape) == (2, 256) and tuple(levels[6].shape) == (2, 10)
    assert net.level_channels == (4, 8, 16, 32, 32, 256, 10)
    assert (levels[5] >= 0).all()  # fc7 is read after its ReLU
    out = net(images, ganforge.Condition())
    assert torch.equal(out["style"], levels[5]) and torch.equal(out["logits"], levels[6])


def test_full_size_is_torchvisions_vgg16_so_its_weights_load(semantic_pyramid):
    data = ganforge.DataInfo(resolution=(256, 256))
    with torch.device("meta"):
        ours = ganforge.build("encoder", {"type": "vgg16_pyramid", "weights": "none"}, data)
        theirs = torchvision.models.vgg16(num_classes=365)
    shapes = lambda m: {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert shapes(ours) == shapes(theirs)
    assert sum(p.numel() for p in ours.parameters()) == 135_755_949


def test_weights_file_round_trip_and_frozen(semantic_pyramid, tiny, data, images, tmp_path):
    net = ganforge.build("encoder", tiny["encoder"], data)
    path = tmp_path / "vgg.pth"
    torch.save({k: v + 1 for k, v in net.state_dict().items()}, path)
    loaded = ganforge.build("encoder", {**tiny["encoder"], "weights": "imagenet", "path": str(path)}, data)
    assert torch.equal(loaded.features[0].weight, net.features[0].weight + 1)
    loaded.train()
    assert not loaded.training and not any(p.requires_grad for p in loaded.parameters())
    assert not torch.allclose(loaded.pyramid(images)[-1], net.pyramid(images)[-1])


def test_missing_weights_name_the_file_and_where_to_put_it(semantic_pyramid, tiny, data, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(ganforge.ConfigError, match=r"vgg16_places365\.pth.*hub.*caffemodel"):
        ganforge.build("encoder", {**tiny["encoder"], "weights": "places365"}, data)
    with pytest.raises(ganforge.ConfigError, match=r"vgg16-397923af\.pth"):
        ganforge.build("encoder", {**tiny["encoder"], "weights": "imagenet"}, data)


def test_a_file_of_another_network_is_a_config_error(semantic_pyramid, tiny, data, tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"weight": torch.zeros(1)}, path)
    with pytest.raises(ganforge.ConfigError, match="not a torchvision vgg16 state_dict with 10 classes"):
        ganforge.build("encoder", {**tiny["encoder"], "weights": "imagenet", "path": str(path)}, data)

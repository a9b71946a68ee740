"""The offline backbones: trained on the synthetic world, scored on held-out scenes, and
used by FID / KID / IS (``network: synthetic``) and mIoU (``segmenter: synthetic_segmenter``).

One tiny training (32 px, a few hundred scenes, 120 steps) serves the whole module.
"""

import json

import pytest
import torch
import torchvision.transforms.functional as TF

from ganforge import DataInfo
from ganforge import registry
from ganforge.backbones import FILENAMES, MANIFEST, BackboneConfig, load_backbone, train_backbones
from ganforge.backbones.cli import config_from_overrides
from ganforge.backbones.data import render_scenes
from ganforge.cli import main
from ganforge.condition import Condition
from ganforge.errors import ConfigError
from ganforge.metrics import FID, KID, InceptionScore, MissingWeights, SegmentationScore, StatisticsCache
from ganforge.metrics import GaussianStatistics, save_statistics, shared_features
from ganforge.weights import file_sha256

TINY = dict(resolution=32, train_scenes=256, heldout_scenes=64, batch_size=16, segmenter_steps=120,
            features_steps=120, segmenter_width=8, features_width=8, feature_dim=32, lr=1e-2)
MICRO = ["resolution=16", "train_scenes=16", "heldout_scenes=8", "batch_size=4", "segmenter_steps=3",
         "features_steps=3", "segmenter_width=4", "features_width=4", "feature_dim=8"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("backbones")
    manifest = train_backbones(out, BackboneConfig(**TINY), log=lambda line: None)
    return out, manifest


@pytest.fixture(scope="module")
def scenes():
    """Two sets of 64 scenes no backbone was trained on, as images in [-1, 1]."""
    real, fake = render_scenes(32, 2000, 64), render_scenes(32, 2001, 64)
    return {"real": real, "fake": fake, "data": DataInfo(label_nc=9, resolution=(32, 32))}


def as_float(images_uint8):
    return images_uint8.float() / 127.5 - 1


def test_trained_segmenter_beats_always_predicting_the_most_frequent_class(trained):
    seg = trained[1]["networks"]["segmenter"]["heldout"]
    chance = seg["majority_class"]
    assert chance["class"] == "ground"  # the largest class of the world
    assert seg["pixel_accuracy"] > chance["pixel_accuracy"] + 0.1
    assert seg["miou"] > 2.5 * chance["miou"]
    assert seg["iou"]["sky"] > 0.7


def test_the_miou_metric_with_the_registered_segmenter_reproduces_the_manifest(trained):
    """The manifest's held-out numbers are what `miou` reports on the same scenes."""
    out, manifest = trained
    heldout = render_scenes(32, manifest["config"]["heldout_seed"], manifest["config"]["heldout_scenes"])
    metric = registry.build("metric", {"type": "miou", "segmenter": "synthetic_segmenter",
                                       "weights": str(out / FILENAMES["segmenter"])}, DataInfo(label_nc=9))
    for part in (slice(0, 40), slice(40, None)):  # batching changes nothing
        metric.update(as_float(heldout.image[part]), cond=Condition(label=heldout.label[part]))
    got = metric.compute()
    expected = manifest["networks"]["segmenter"]["heldout"]
    assert got == pytest.approx({"miou": expected["miou"], "pixel_accuracy": expected["pixel_accuracy"]}, rel=1e-12)


def test_feature_network_learned_the_looks(trained):
    feats = trained[1]["networks"]["features"]["heldout"]
    assert feats["domain_accuracy"] > 0.9  # chance: 1/4
    assert feats["shape_accuracy"] > 0.2  # chance: 1/5 at best; shapes need more steps than a test allows


def fid_of(extractor_params, real, fake, data):
    metric = FID(FID.Params(**extractor_params), data)
    metric.update(fake, real)
    return metric.compute()["fid"]


def blur(images, sigma):
    if sigma == 0:
        return images
    k = 2 * int(3 * sigma + 0.5) + 1
    return TF.gaussian_blur(images, [k, k], [sigma, sigma])


def noise(images, std):
    gen = torch.Generator().manual_seed(7)
    return (images + std * torch.randn(images.shape, generator=gen)).clamp(-1, 1)


@pytest.mark.parametrize("corrupt, strengths", [(blur, [0, 1, 2, 4]), (noise, [0, 0.1, 0.2, 0.4])])
def test_synthetic_fid_grows_with_corruption(trained, scenes, corrupt, strengths):
    params = {"network": "synthetic", "weights": str(trained[0] / FILENAMES["features"])}
    real, fake = as_float(scenes["real"].image), as_float(scenes["fake"].image)
    fids = [fid_of(params, real, corrupt(fake, s), scenes["data"]) for s in strengths]
    assert all(a < b for a, b in zip(fids, fids[1:])), fids
    # two sets of 64 real scenes are already apart (sampling); the strongest corruption adds more
    assert fids[-1] > 1.2 * fids[0], fids


def test_kid_and_is_read_the_synthetic_network(trained, scenes):
    params = {"network": "synthetic", "weights": str(trained[0] / FILENAMES["features"])}
    real, fake = as_float(scenes["real"].image), as_float(scenes["fake"].image)
    kid = KID(KID.Params(**params, subsets=10, subset_size=32), scenes["data"])
    isc = InceptionScore(InceptionScore.Params(**params, splits=4), scenes["data"])
    assert kid.features is isc.features and kid.features.dim == TINY["feature_dim"]
    kid.update(fake, real)
    isc.update(fake)
    clean = kid.compute()["kid"]
    kid.reset()
    kid.update(noise(fake, 0.4), real)
    assert kid.compute()["kid"] > clean
    score = isc.compute()["is"]
    assert 1.0 < score <= 5.0  # IS over the five shapes lies in [1, 5]


def test_weight_files_round_trip_and_the_manifest_describes_them(trained):
    out, manifest = trained
    on_disk = json.loads((out / MANIFEST).read_text())
    assert on_disk == json.loads(json.dumps(manifest))
    assert on_disk["config"]["segmenter_steps"] == TINY["segmenter_steps"]
    assert on_disk["data"]["world"]["seed"] == on_disk["config"]["train_seed"] != on_disk["config"]["heldout_seed"]
    for network, filename in FILENAMES.items():
        entry = on_disk["networks"][network]
        path = out / filename
        assert entry["sha256"] == file_sha256(path)
        raw = torch.load(path, map_location="cpu", weights_only=True)
        assert raw["network"] == network and raw["arch"] == entry["arch"] and raw["arch"]["resolution"] == 32
        net, digest = load_backbone(network, str(path))
        assert digest == entry["sha256"] and not net.training
        assert all(torch.equal(v, raw["state_dict"][k]) for k, v in net.state_dict().items())
    with pytest.raises(ConfigError, match="is not a features file"):
        load_backbone("features", str(out / FILENAMES["segmenter"]))


def test_missing_weights_name_the_command_that_makes_them(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    hub = str(tmp_path / "torch" / "hub" / "checkpoints")
    with pytest.raises(MissingWeights, match="ganforge backbones train") as fid_error:
        FID(FID.Params(network="synthetic"), DataInfo())
    assert FILENAMES["features"] in str(fid_error.value) and hub in str(fid_error.value)
    with pytest.raises(MissingWeights, match="ganforge backbones train") as miou_error:
        SegmentationScore(SegmentationScore.Params(segmenter="synthetic_segmenter"), DataInfo(label_nc=9))
    assert FILENAMES["segmenter"] in str(miou_error.value) and hub in str(miou_error.value)
    with pytest.raises(MissingWeights, match="elsewhere.pt"):
        FID(FID.Params(network="synthetic", weights=str(tmp_path / "elsewhere.pt")), DataInfo())


def test_conventions_are_explicit_and_statistics_are_keyed_by_the_network(trained, tmp_path):
    with pytest.raises(ValueError, match="`resize` is the Inception's input convention"):
        FID.Params(network="synthetic", resize="pil_bicubic")
    path = str(trained[0] / FILENAMES["features"])
    synthetic = shared_features(FID.Params(network="synthetic", weights=path))
    random = shared_features(FID.Params(network="synthetic", weights="none"))
    assert synthetic.key.startswith("synthetic_features:" + file_sha256(trained[0] / FILENAMES["features"])[:16])
    assert synthetic.key.endswith("uint8_bilinear_antialias_h32") and random.key.startswith("synthetic_features:none")
    cache = StatisticsCache(tmp_path)
    assert cache.path({"dataset": "synthetic", "features": synthetic.key}) != cache.path(
        {"dataset": "synthetic", "features": random.key})
    other_stats = tmp_path / "other_network.npz"
    save_statistics(other_stats, GaussianStatistics(torch.zeros(16), torch.eye(16)))
    with pytest.raises(ConfigError, match="16-d but network 'synthetic' gives 32-d"):
        FID(FID.Params(network="synthetic", weights=path, reference=str(other_stats)), DataInfo())


def test_segmenter_encoder_reads_any_size_and_checks_the_classes():
    seg = registry.build("encoder", {"type": "synthetic_segmenter", "weights": "none"}, DataInfo(label_nc=9))
    out = seg(torch.rand(2, 3, 48, 96) * 2 - 1, Condition())
    assert out["label"].shape == (2, 48, 96) and out["label"].dtype == torch.long
    assert out["label_logits"].shape == (2, 9, 64, 128)  # resized to the training height, width alike
    with pytest.raises(ConfigError, match="label_nc 5"):
        registry.build("encoder", {"type": "synthetic_segmenter", "weights": "none"}, DataInfo(label_nc=5))


def test_the_command_is_reproducible(tmp_path, capsys):
    """`ganforge backbones train` twice with the same settings writes identical files."""
    args = [arg for field in MICRO for arg in ("--set", field)]
    main(["backbones", "train", "--out", str(tmp_path / "a"), *args])
    printed = capsys.readouterr().out
    assert "held-out segmenter: pixel accuracy" in printed and f"wrote {FILENAMES['segmenter']}" in printed
    train_backbones(tmp_path / "b", config_from_overrides(tuple(MICRO)), log=lambda line: None)
    for filename in FILENAMES.values():
        assert file_sha256(tmp_path / "a" / filename) == file_sha256(tmp_path / "b" / filename)
    with pytest.raises(ConfigError, match="segmenter_stepz"):
        config_from_overrides(("segmenter_stepz=3",))

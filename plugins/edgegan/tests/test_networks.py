"""EdgeGAN's foreground networks: what they read, what they return, and their errors."""

import pytest
import torch

import ganforge
from ganforge import Condition, DataInfo

DATA = DataInfo(fields=frozenset({"z", "class_label", "sketch"}), resolution=(32, 32), num_classes=5)


def build(kind, spec):
    torch.manual_seed(0)
    return ganforge.build(kind, spec, DATA).eval()


def test_both_generators_read_the_same_latent(edgegan, tiny):
    g = build("generator", tiny["generator"])
    z = torch.randn(2, 8)
    edge, image = g.pair(Condition(z=z, class_label=torch.tensor([1, 1])))
    assert edge.shape == (2, 3, 32, 32) and image.shape == (2, 3, 32, 32)
    assert edge.abs().max() <= 1 and image.abs().max() <= 1  # tanh outputs
    assert torch.equal(image, g(Condition(z=z, class_label=torch.tensor([1, 1]))))  # forward is G_I
    edge2, image2 = g.pair(Condition(z=z, class_label=torch.tensor([1, 4])))
    # the class one-hot is part of both generators' input: changing it changes row 1 only
    assert torch.equal(edge2[0], edge[0]) and torch.equal(image2[0], image[0])
    assert not torch.allclose(edge2[1], edge[1]) and not torch.allclose(image2[1], image[1])


def test_generator_rejects_bad_latents_and_classes(edgegan, tiny):
    g = build("generator", tiny["generator"])
    with pytest.raises(ganforge.ConditionMismatch, match="z_dim is 8"):
        g(Condition(z=torch.randn(1, 9), class_label=torch.tensor([0])))
    with pytest.raises(ganforge.ConditionMismatch, match=r"class_label outside \[0, 5\)"):
        g(Condition(z=torch.randn(1, 8), class_label=torch.tensor([5])))


def test_critic_scores_one_value_per_image_and_checks_its_size(edgegan, tiny):
    d = build("discriminator", tiny["joint_discriminator"])
    out = d(torch.randn(3, 3, 32, 64))
    assert out.scores[0].shape == (3, 1) and len(out.features[0]) == 4
    with pytest.raises(ganforge.ConditionMismatch, match=r"built for size \(32, 64\)"):
        d(torch.randn(1, 3, 32, 32))


def test_classifier_gives_class_logits(edgegan, tiny):
    c = build("discriminator", tiny["classifier"])
    out = c(torch.randn(2, 3, 32, 32))
    assert out.extra["logits"].shape == (2, 5) and out.scores[0].shape == (2, 1, 2, 2)
    with pytest.raises(ganforge.ConfigError, match="needs object classes"):
        ganforge.build("discriminator", tiny["classifier"], DataInfo())


def test_encoder_reads_the_sketch_and_is_deterministic_in_eval(edgegan, tiny):
    e = build("encoder", tiny["encoder"])
    sketch = torch.zeros(2, 1, 64, 64)
    sketch[0, :, 10:50, 20] = 1
    sketch[1, :, 30, 5:60] = 1
    out = e(torch.zeros(2, 3, 64, 64), Condition(sketch=sketch))  # the 64 px sketch is pooled to 32
    assert out["z"].shape == (2, 8) and torch.equal(out["z"], out["mu"])
    assert not torch.allclose(out["z"][0], out["z"][1])
    assert torch.allclose(out["logvar"], 2 * out["log_sigma"])
    e.train()
    sampled = e.encode(torch.ones(2, 3, 32, 32))
    assert not torch.allclose(sampled["z"], sampled["mu"])  # z = mu + eps * sigma while training
    with pytest.raises(ganforge.ConditionMismatch, match=r"edge images must be \(3, 32, 32\)"):
        e.encode(torch.ones(2, 1, 32, 32))

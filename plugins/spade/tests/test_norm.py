"""SPADE normalization: Eq. (1) against a direct computation, the semantic map it reads,
SPADE's initialisation, and its declared requirements."""

import pytest
import torch
import torch.nn.functional as F

import ganforge
from ganforge import Condition, DataInfo
from ganforge_spade import semantic


def build_norm(data, num_features=6, **params):
    return ganforge.build("normalizer", {"type": "spade", "nhidden": 8, **params}, data, num_features=num_features)


def test_eq1_matches_direct_computation(spade, data, make_condition):
    norm = build_norm(data, param_free_norm="instance").double()
    for conv in (norm.mlp_gamma, norm.mlp_beta):  # make the modulation far from identity
        torch.nn.init.normal_(conv.weight, 0, 0.3)
        torch.nn.init.normal_(conv.bias, 0, 0.3)
    cond = make_condition(data)
    x = torch.randn(2, 6, 16, 32, dtype=torch.float64)

    # the semantic map by hand: one-hot at 16x32 (nearest = every 2nd pixel) + edges found at full size
    label = cond["label"][:, ::2, ::2]
    inst = cond["instance"]
    edge = torch.zeros_like(inst, dtype=torch.bool)
    edge[:, :, 1:] |= inst[:, :, 1:] != inst[:, :, :-1]
    edge[:, :, :-1] |= inst[:, :, 1:] != inst[:, :, :-1]
    edge[:, 1:, :] |= inst[:, 1:, :] != inst[:, :-1, :]
    edge[:, :-1, :] |= inst[:, 1:, :] != inst[:, :-1, :]
    m = torch.cat([F.one_hot(label, 5).permute(0, 3, 1, 2), edge[:, None, ::2, ::2]], 1).double()

    conv = lambda layer, t: F.conv2d(t, layer.weight, layer.bias, padding=1)
    hidden = torch.relu(conv(norm.mlp_shared[0], m))
    gamma, beta = conv(norm.mlp_gamma, hidden), conv(norm.mlp_beta, hidden)
    mean = x.mean(dim=(2, 3), keepdim=True)
    var = x.var(dim=(2, 3), unbiased=False, keepdim=True)
    expected = (x - mean) / torch.sqrt(var + 1e-5) * (1 + gamma) + beta

    torch.testing.assert_close(norm(x, cond), expected)
    assert expected.std() > 0.5  # gamma and beta changed the output substantially


def test_modulation_varies_with_the_label_and_only_there(spade, data):
    norm = build_norm(data, param_free_norm="instance", use_instance=False)
    torch.nn.init.normal_(norm.mlp_gamma.weight, 0, 0.3)
    x = torch.randn(1, 6, 32, 64)
    label = torch.zeros(1, 32, 64, dtype=torch.long)
    other = label.clone()
    other[:, :, 48:] = 3
    a = norm(x, Condition(label=label, instance=label))
    b = norm(x, Condition(label=other, instance=label))
    assert torch.equal(a[..., :40], b[..., :40])  # 3x3 receptive fields: columns < 45 are unaffected
    assert not torch.allclose(a[..., 48:], b[..., 48:])


def test_official_initialisation(spade, data, make_condition):
    """SPADE does not zero-initialise gamma/beta: every conv gets xavier_normal(gain 0.02) and zero
    bias, so a fresh layer is close to, but not exactly, the parameter-free normalisation."""
    norm = build_norm(data, num_features=64, nhidden=128)
    for conv in (norm.mlp_shared[0], norm.mlp_gamma, norm.mlp_beta):
        assert torch.count_nonzero(conv.bias) == 0
        fan_in, fan_out = conv.weight.shape[1] * 9, conv.weight.shape[0] * 9
        expected_std = 0.02 * (2 / (fan_in + fan_out)) ** 0.5
        assert conv.weight.std().item() == pytest.approx(expected_std, rel=0.1)
    x = torch.randn(2, 64, 32, 64)
    out = norm(x, make_condition(data))
    plain = torch.nn.functional.batch_norm(x, None, None, training=True)
    assert 0 < (out - plain).abs().max() < 1e-3


def test_param_free_norm_kinds(spade, data):
    assert isinstance(build_norm(data).param_free_norm, torch.nn.SyncBatchNorm)  # SPADE's 'syncbatch'
    assert isinstance(build_norm(data, param_free_norm="batch").param_free_norm, torch.nn.BatchNorm2d)
    assert isinstance(build_norm(data, param_free_norm="instance").param_free_norm, torch.nn.InstanceNorm2d)
    assert not any(p.numel() for p in build_norm(data).param_free_norm.parameters())


def test_syncbatch_equals_batchnorm_on_one_process(spade, data, make_condition):
    sync, plain = build_norm(data), build_norm(data, param_free_norm="batch")
    plain.load_state_dict(sync.state_dict())
    x, cond = torch.randn(2, 6, 32, 64), make_condition(data)
    torch.testing.assert_close(sync(x, cond), plain(x, cond), rtol=0, atol=0)
    torch.testing.assert_close(sync.param_free_norm.running_var, plain.param_free_norm.running_var)


def test_semantic_channels_follow_dontcare_and_instance(spade):
    base = dict(resolution=(32, 32), label_nc=7)
    with_inst = DataInfo(fields=frozenset({"label", "instance"}), contain_dontcare_label=True, **base)
    without = DataInfo(fields=frozenset({"label"}), **base)
    assert build_norm(with_inst).mlp_shared[0].in_channels == 7 + 1 + 1
    assert build_norm(with_inst, use_instance=False).mlp_shared[0].in_channels == 7 + 1
    assert build_norm(without).mlp_shared[0].in_channels == 7
    m = semantic.semantic_map(Condition(label=torch.full((1, 32, 32), 7)), without.model_copy(
        update={"contain_dontcare_label": True}), use_instance=False)
    assert m.shape == (1, 8, 32, 32) and torch.equal(m[:, 7], torch.ones(1, 32, 32))  # the don't-care id


def test_requirements_and_clear_errors(spade):
    labels_only = DataInfo(fields=frozenset({"label"}), resolution=(32, 32), label_nc=3)
    record = spade.get("normalizer", "spade")
    assert record.cls.requirements(record.params(), labels_only) == {"label"}
    assert record.cls.requirements(record.params(use_instance=True), labels_only) == {"label", "instance"}
    with pytest.raises(ganforge.ConditionMismatch, match="needs condition field 'instance'"):
        build_norm(labels_only, use_instance=True)
    with pytest.raises(ganforge.ConfigError, match="label_nc is 0"):
        build_norm(DataInfo(resolution=(32, 32)))
    with pytest.raises(ganforge.ConfigError, match="kernel_size must be odd"):
        build_norm(labels_only, kernel_size=4)
    with pytest.raises(ganforge.ConfigError, match="normalizer.nhiden"):
        build_norm(labels_only, nhiden=3)

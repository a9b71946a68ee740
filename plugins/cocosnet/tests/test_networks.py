"""Behaviour of the correspondence and translation networks and of the losses."""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge import Condition, DataInfo
from ganforge.onehot_conv import OneHotConv2d
from ganforge_cocosnet import losses
from ganforge_cocosnet.pairing import ExemplarPairing, ExemplarPairingParams
from ganforge_cocosnet.strategy import same_input_features


def make_condition(data: DataInfo, batch: int = 2, seed: int = 0) -> tuple[torch.Tensor, Condition]:
    """(image, condition): blocky label maps, images, and each sample's exemplar = the next sample."""
    gen = torch.Generator().manual_seed(seed)
    h, w = data.resolution
    label = torch.randint(0, data.label_nc, (batch, h // 8, w // 8), generator=gen)
    label = label.repeat_interleave(8, 1).repeat_interleave(8, 2)
    image = torch.rand(batch, 3, h, w, generator=gen) * 2 - 1
    return image, Condition(label=label, exemplar=image.roll(1, 0), exemplar_label=label.roll(1, 0))



def test_chunked_correspondence_equals_full_including_parameter_gradients(registry, tiny, data):
    torch.manual_seed(0)
    full = ganforge.build("encoder", {**tiny["correspondence"], "cycle": True}, data)
    chunked = ganforge.build("encoder", {**tiny["correspondence"], "cycle": True, "chunk_size": 10}, data)
    chunked.load_state_dict(full.state_dict())
    full, chunked = full.double(), chunked.double()  # float64: the 1 / 0.01 temperature amplifies rounding
    image, cond = make_condition(data)
    image, cond = image.double(), cond.replace(exemplar=cond["exemplar"].double())
    outs = [net(image, cond) for net in (full, chunked)]
    for key in ("warped_exemplar", "warped_exemplar_label", "warp_cycle"):
        assert (outs[0][key] - outs[1][key]).abs().max() < 1e-6
    for net, out in zip((full, chunked), outs):
        (out["warped_exemplar"].square().sum() + out["warp_cycle"].sum()).backward()
    for (name, a), (_, b) in zip(full.named_parameters(), chunked.named_parameters()):
        assert (a.grad - b.grad).abs().max() <= 1e-6 * max(1.0, a.grad.abs().max()), name


def test_warped_exemplar_is_a_convex_mix_of_exemplar_colours(registry, tiny, data):
    corr = ganforge.build("encoder", tiny["correspondence"], data).eval()
    image, cond = make_condition(data)
    cond = cond.replace(exemplar=torch.full_like(image, 0.25))  # a flat exemplar warps to itself
    with torch.no_grad():
        out = corr(image, cond)
    assert out["warped_exemplar"].shape == image.shape
    assert torch.allclose(out["warped_exemplar"], torch.full_like(image, 0.25), atol=1e-5)
    soft = out["warped_exemplar_label"]  # rows of the softmax sum to one
    assert soft.shape == (2, 4, 8, 8) and torch.allclose(soft.sum(1), torch.ones(2, 8, 8), atol=1e-5)
    assert "adapted_image" not in out  # domain alignment features only in training


def test_domain_alignment_features_in_training(registry, tiny, data):
    corr = ganforge.build("encoder", tiny["correspondence"], data).train()
    image, cond = make_condition(data)
    out = corr(image, cond)
    assert out["adapted_image"].shape == out["adapted_label"].shape == (2, 16, 8, 8)
    assert torch.allclose(out["adapted_label"].norm(dim=1), torch.ones(2, 8, 8), atol=1e-5)


def test_maskmix_needs_a_label_domain(registry, tiny, data):
    with pytest.raises(ganforge.ConfigError, match="maskmix"):
        ganforge.build("encoder", {**tiny["correspondence"], "domain_field": "edge"},
                       data.model_copy(update={"fields": data.fields | {"edge"}}))


def test_generator_reads_the_warped_exemplar(registry, tiny):
    data = DataInfo(fields=frozenset({"label", "warped_exemplar"}), resolution=(64, 64), label_nc=4)
    G = ganforge.build("generator", tiny["generator"], data).eval()
    label = torch.zeros(1, 64, 64, dtype=torch.long)
    with torch.no_grad():
        a = G(Condition(label=label, warped_exemplar=torch.zeros(1, 3, 64, 64)))
        b = G(Condition(label=label, warped_exemplar=torch.ones(1, 3, 64, 64)))
    assert a.shape == (1, 3, 64, 64) and (a - b).abs().max() > 1e-4
    with pytest.raises(ganforge.ConfigError, match="divisible by 32"):
        ganforge.build("generator", tiny["generator"], data.model_copy(update={"resolution": (48, 48)}))


def test_contextual_loss_is_low_for_the_same_features_and_higher_for_others():
    torch.manual_seed(0)
    x, y = torch.randn(2, 8, 5, 5), torch.randn(2, 8, 5, 5)
    same, other = losses.contextual(x, x), losses.contextual(x, y)
    assert same.shape == (2,) and (same < other).all()
    assert same.abs().max() < 1e-4  # every feature finds itself: CX = 1


def test_warp_mask_loss_ignores_classes_the_exemplar_lacks():
    label = torch.tensor([[[0, 1], [2, 3]]])
    exemplar_label = torch.tensor([[[0, 0], [1, 1]]])
    perfect = torch.nn.functional.one_hot(label, 4).permute(0, 3, 1, 2).float()
    assert losses.warp_mask(perfect, label, exemplar_label, None) < 1e-6
    uniform = torch.full((1, 4, 2, 2), 0.25)
    mask = losses.warp_mask(uniform, label, exemplar_label, None)
    assert torch.isclose(mask, torch.log(torch.tensor(4.0)), atol=1e-4)
    assert losses.warp_mask(uniform, label, exemplar_label, ignore_index=0) < losses.warp_mask(
        perfect.roll(1, 1), label, exemplar_label, None)


def test_feature_matching_only_counts_self_exemplars():
    fake, real = [torch.ones(2, 1, 2, 2)], [torch.zeros(2, 1, 2, 2)]
    assert losses.feature_matching(fake, real, torch.tensor([0.0, 0.0]), weights=(1.0,)) == 0
    both = losses.feature_matching(fake, real, torch.tensor([1.0, 1.0]), weights=(1.0,))
    assert torch.isclose(both, torch.tensor(0.5), atol=1e-4)  # the official mean over batch of w_b = 1/2


def test_pairing_mixes_other_exemplars_and_self_exemplars(data):
    torch.manual_seed(0)
    pairing = ExemplarPairing(ExemplarPairingParams(real_reference_probability=0.5), data)
    image = torch.arange(64.0).view(64, 1, 1, 1).expand(64, 3, 2, 2)
    label = torch.arange(64).view(64, 1, 1).expand(64, 2, 2)
    exemplar, exemplar_label, self_ref = pairing.pair(image, label)
    is_self = exemplar[:, 0, 0, 0] == image[:, 0, 0, 0]
    assert torch.equal(is_self.float(), self_ref)
    assert torch.equal(exemplar[~is_self, 0, 0, 0], image.roll(1, 0)[~is_self, 0, 0, 0])
    assert torch.equal(exemplar_label[:, 0, 0], exemplar[:, 0, 0, 0].long())
    assert 10 < int(self_ref.sum()) < 54
    single = pairing.pair(image[:1], label[:1])
    assert single[2].item() == 1.0


@pytest.mark.parametrize("kind", ["correspondence", "generator", "discriminator"])
def test_lookup_equals_the_dense_convs_over_the_one_hot_maps(registry, tiny, data, kind, monkeypatch):
    """lookup: true (default) and false give the same outputs and gradients from the same
    weights (float64), border ids and the don't-care channel included."""
    torch.manual_seed(0)
    data = data.model_copy(update={"contain_dontcare_label": True, "resolution": (64, 64)})  # G: 2x2 at the start
    kinds = {"correspondence": "encoder", "generator": "generator", "discriminator": "discriminator"}

    def spec(lookup: bool) -> dict:
        if kind == "generator":
            return {**tiny[kind], "norm": {**tiny[kind]["norm"], "lookup": lookup}}
        return {**tiny[kind], "lookup": lookup}

    nets = [ganforge.build(kinds[kind], spec(lookup), data).double().train() for lookup in (True, False)]
    calls = []
    real_lookup = OneHotConv2d.lookup
    monkeypatch.setattr(OneHotConv2d, "lookup", lambda self, *a: calls.append(self) or real_lookup(self, *a))
    nets[1].load_state_dict(nets[0].state_dict())
    image, cond = make_condition(data)
    label = cond["label"].clone()
    label[:, 0, :], label[:, :, -1] = data.label_nc, 0  # the don't-care id along a border
    warped = torch.rand(2, 3, 64, 64, dtype=torch.float64) * 2 - 1
    outs, grads = [], []
    for net in nets:
        calls.clear()
        w = warped.clone().requires_grad_()
        c = Condition(label=label, exemplar=cond["exemplar"].double(), exemplar_label=label.roll(1, 0),
                      warped_exemplar=w)
        if kind == "correspondence":
            out = net(image.double(), c)
            out = torch.cat([out["warped_exemplar"].flatten(), out["adapted_label"].flatten(),
                             out["warped_exemplar_label"].flatten()])
        elif kind == "generator":
            out = net(c).flatten()
        else:
            o = net(w, c)
            out = torch.cat([s.flatten() for s in o.scores] + [f.flatten() for scale in o.features for f in scale])
        out.sin().sum().backward()
        outs.append(out)
        grads.append({n: p.grad for n, p in net.named_parameters()} | {"input": w.grad})
        lookups = {"correspondence": 1 + 7, "generator": 2 * 3 + 3 * 4, "discriminator": 1}[kind]  # first convs
        assert len(calls) == (lookups if net is nets[0] else 0)
    torch.testing.assert_close(outs[0], outs[1], rtol=1e-9, atol=1e-9)
    assert grads[0].keys() == grads[1].keys()
    for name, g in grads[0].items():
        if g is None:
            assert grads[1][name] is None, name
        else:
            torch.testing.assert_close(g, grads[1][name], rtol=1e-8, atol=1e-9, msg=name)


@pytest.mark.parametrize("lookup", [True, False])
def test_modulation_fields_of_different_sizes_are_refused_on_both_paths(registry, data, lookup):
    norm = ganforge.build("normalizer", {"type": "cocosnet_spade", "nhidden": 8, "lookup": lookup}, data,
                          num_features=4)
    label = torch.randint(0, data.label_nc, (1, 32, 32))
    x = torch.randn(1, 4, 8, 8)
    norm(x, Condition(label=label, warped_exemplar=torch.randn(1, 3, 32, 32)))  # same size: fine
    with pytest.raises(ValueError, match=r"modulation fields \('warped_exemplar', 'label'\) have different sizes "
                                         r"\[\(16, 16\), \(32, 32\)\]"):
        norm(x, Condition(label=label, warped_exemplar=torch.randn(1, 3, 16, 16)))


def test_exemplar_features_reuse_the_real_images_where_they_are_the_same():
    """A self-exemplar's VGG features are the real image's: computed once, as if computed twice."""
    torch.manual_seed(0)
    convs = [torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.Conv2d(4, 5, 3, stride=2)]
    vgg = lambda x: [x := torch.relu(c(x)) for c in convs]  # noqa: E731  (features at two layers, as VGG's)
    real = torch.rand(3, 3, 16, 16) * 2 - 1
    calls = []
    counted = lambda x: calls.append(x.shape[0]) or vgg(x)  # noqa: E731
    real_f = vgg(real)
    for exemplar, batch in ((real.clone(), None), (real.roll(1, 0), 3), (torch.cat([real[:1], real[1:].flip(0)]), 2)):
        calls.clear()
        with torch.no_grad():
            got = same_input_features(counted, exemplar, real, real_f)
        assert calls == ([] if batch is None else [batch])
        for g, w in zip(got, vgg(exemplar)):
            torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-6)


def test_self_attention_is_the_sagan_formula_forward_and_gradients():
    """out = gamma o(g beta^T) + x, beta = softmax(theta^T phi), computed as (beta g^T)^T."""
    from ganforge_cocosnet.layers import SelfAttention
    from ganforge_spade.layers import InitParams

    torch.manual_seed(0)
    attn = SelfAttention(16, False, InitParams()).double()
    attn.gamma.data.fill_(0.7)
    x = torch.randn(2, 16, 8, 6, dtype=torch.float64, requires_grad=True)
    got = attn(x)
    got.sin().sum().backward()
    grads = [p.grad.clone() for p in (x, *attn.parameters())]
    for p in (x, *attn.parameters()):
        p.grad = None
    theta = attn.theta(x).flatten(2)
    phi, g = (torch.nn.functional.max_pool2d(m(x), 2).flatten(2) for m in (attn.phi, attn.g))
    beta = torch.softmax(theta.transpose(1, 2) @ phi, dim=-1)
    want = attn.gamma * attn.o((g @ beta.transpose(1, 2)).view(2, 8, 8, 6)) + x
    want.sin().sum().backward()
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    for a, p in zip(grads, (x, *attn.parameters())):
        torch.testing.assert_close(a, p.grad, rtol=1e-10, atol=1e-12)

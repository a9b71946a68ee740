"""Every component passes ganforge's conformance kit (shapes, gradients to every parameter,
state_dict round trip, .to(), same seed -> same output, documented params)."""

import pytest
import torch

import ganforge
from ganforge.testing import check_component

DATA = dict(fields=frozenset({"label", "instance"}), resolution=(32, 32), label_nc=4)


@pytest.mark.parametrize("kind, spec", [
    ("normalizer", {"type": "spade", "nhidden": 8}),
    ("normalizer", {"type": "spade", "nhidden": 8, "param_free_norm": "instance", "use_instance": True}),
    ("generator", "tiny"),
    ("generator", {"use_vae": True, "z_dim": 8}),  # merged into the tiny generator
    ("discriminator", "tiny"),
    ("encoder", "tiny"),
    ("loss", {"type": "hinge"}),
    ("loss", {"type": "lsgan"}),
    ("loss", {"type": "nonsaturating"}),
    ("loss", {"type": "vgg19_perceptual", "weights": "none"}),
    ("strategy", {"type": "paired_conditional", "vgg": {"type": "vgg19_perceptual", "weights": "none"}}),
])
def test_conformance(spade, tiny, kind, spec):
    if spec == "tiny" or "type" not in spec:
        spec = {**tiny[kind], **({} if spec == "tiny" else spec)}
    name, params = spec["type"], {k: v for k, v in spec.items() if k != "type"}
    checked = check_component(kind, name, params=params, data=ganforge.DataInfo(**DATA))
    assert "params documented" in checked.checks
    if kind != "strategy":
        assert "same seed, same output" in checked.checks


def test_feature_matching_and_kl_conform(spade):
    fake = [[torch.randn(2, 3, 4, 4, requires_grad=True)]]
    check_component("loss", "feature_matching", data=ganforge.DataInfo(**DATA),
                    call=lambda loss, cond: loss(fake, [[torch.randn(2, 3, 4, 4)]]))
    mu = torch.randn(2, 8, requires_grad=True)
    check_component("loss", "kl", data=ganforge.DataInfo(**DATA), call=lambda loss, cond: loss(mu, mu * 0))


def test_installed_entry_point_registers_every_component(isolated_registry):
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="ganforge") if e.name == "spade"]
    assert ep.value == "ganforge_spade.plugin" and ep.dist.name == "ganforge-spade"
    module = ep.load()
    assert module.GANFORGE_API == "1.0"
    registry = isolated_registry(("spade", module), core=False)
    assert {(r.kind, r.name) for r in registry.records()} == {
        ("normalizer", "spade"), ("generator", "spade"), ("encoder", "spade_vae"),
        ("discriminator", "multiscale_patch"), ("loss", "hinge"), ("loss", "lsgan"), ("loss", "nonsaturating"),
        ("loss", "feature_matching"), ("loss", "vgg19_perceptual"), ("loss", "kl"),
        ("strategy", "paired_conditional")}
    assert all(r.summary and r.paper for r in registry.records())

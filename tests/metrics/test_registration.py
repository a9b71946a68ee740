"""The metrics register as components, each documenting its conventions."""

import pytest

import ganforge
from ganforge.metrics import register_components


class Recorder:
    def __init__(self):
        self.calls, self.files = [], []

    def __call__(self, kind, name, cls, **kw):
        self.calls.append((kind, name, cls, kw))

    def weights_file(self, spec):
        self.files.append(spec)


def collect():
    register = Recorder()
    register_components(register)
    return register.calls


def test_metrics_declare_their_pretrained_files():
    register = Recorder()
    register_components(register)
    assert {f.name for f in register.files} == {"fid_inception", "alexnet_imagenet", "vgg16_imagenet",
                                                 "lpips_lin_alex", "lpips_lin_vgg"}


def test_every_metric_registers_as_a_metric_component():
    calls = collect()
    assert [name for _, name, _, _ in calls] == ["fid", "kid", "is", "lpips", "lpips_diversity", "miou", "swd", "psnr", "ssim", "rmse"]
    for kind, name, cls, kw in calls:
        assert kind == "metric" and issubclass(cls, ganforge.Metric)
        assert issubclass(cls.Params, ganforge.Params) and kw["summary"]


@pytest.mark.parametrize("name", ["fid", "kid", "is", "lpips", "lpips_diversity", "miou", "swd", "psnr", "ssim", "rmse"])
def test_every_params_field_is_documented(name):
    cls = {n: c for _, n, c, _ in collect()}[name]
    for field, info in cls.Params.model_fields.items():
        assert info.description, f"{name}.{field} has no description"


def test_defaults_are_the_reference_libraries():
    cls = {n: c for _, n, c, _ in collect()}
    kid = cls["kid"].Params()
    assert (kid.subsets, kid.subset_size, kid.degree, kid.gamma, kid.coef0, kid.seed) == (100, 1000, 3, None, 1.0, 2020)
    assert cls["is"].Params().splits == 10
    assert cls["fid"].Params().resize == "tf1_bilinear" and cls["fid"].Params().weights == "hub"
    with pytest.raises(ValueError, match="resize"):
        cls["fid"].Params(resize="bicubic")


def test_metrics_build_from_a_config_through_the_registry():
    metric = ganforge.build("metric", {"type": "psnr", "quantize": False}, ganforge.DataInfo())
    assert type(metric).__name__ == "PSNR" and metric.params.quantize is False
    with pytest.raises(ganforge.ConfigError, match="metric.subsets"):
        ganforge.build("metric", {"type": "kid", "subsets": 0})

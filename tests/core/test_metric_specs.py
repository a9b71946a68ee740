"""`--metrics` of `ganforge eval` and `ganforge compare`: names and YAML specs."""

import pytest

from ganforge.cli_train import parse_metric_specs
from ganforge.errors import ConfigError


@pytest.mark.parametrize("values, specs", [
    (["psnr,ssim"], ["psnr", "ssim"]),
    (["psnr, ssim", "lpips"], ["psnr", "ssim", "lpips"]),
    (["{type: fid, network: synthetic}"], [{"type": "fid", "network": "synthetic"}]),
    (["psnr, {type: kid, subset_size: 10}"], ["psnr", {"type": "kid", "subset_size": 10}]),
    ([], []),
])
def test_names_and_specs(values, specs):
    assert parse_metric_specs(values) == specs


@pytest.mark.parametrize("text, message", [
    ("{type: fid", r"--metrics '\{type: fid': not names or YAML specs"),
    ("psnr, 3", r"3 is neither a metric name nor a \{type: ...\} spec"),
])
def test_bad_specs_are_named(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_metric_specs([text])

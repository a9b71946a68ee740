"""benchmarks/vs_official.py --profile: one profiled call per side, and the side-by-side table."""

import importlib.util
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]


def load_vs_official():
    spec = importlib.util.spec_from_file_location("vs_official", ROOT / "benchmarks" / "vs_official.py")
    module = importlib.util.module_from_spec(spec)
    saved = list(sys.path)
    sys.modules["vs_official"] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved  # it puts benchmarks/ first to import its adapters
        del sys.modules["vs_official"]
    return module


def test_a_profiled_step_counts_its_ops_and_the_table_shows_the_difference():
    vs = load_vs_official()
    conv = torch.nn.Conv2d(3, 4, 3)
    x = torch.randn(1, 3, 8, 8)
    once = vs.profiled(lambda: conv(x).sum().backward())
    twice = vs.profiled(lambda: (conv(x).sum() + conv(x).sum()).backward())
    assert once["ops"]["aten::convolution"]["count"] == 1 and twice["ops"]["aten::convolution"]["count"] == 2
    assert once["ops"]["aten::convolution_backward"]["count"] == 1
    assert once["cpu"] > 0 and once["by_shape"]
    table = vs.profile_table(once, twice, top=100)
    row = next(line for line in table.splitlines() if line.startswith("| aten::convolution |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3] == "1" and cells[6] == "2"  # calls: official side, ganforge side
    assert table.splitlines()[-1].startswith("| all ops |")

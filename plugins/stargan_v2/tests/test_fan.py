"""The FAN face-mask encoder: the released checkpoint's layout, loading, and the masks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import ganforge
from ganforge.testing import check_component
from ganforge_stargan_v2.fan import FAN, heatmaps_to_masks, shift_up

OFFICIAL = json.loads((Path(__file__).parent / "data" / "official_state_dicts.json").read_text())


def test_conformance():
    checked = check_component("encoder", "stargan_v2_fan", {"weights": "none"}, dims={"B": 1})
    masks = checked.output["face_mask"]
    assert masks.shape == (1, 2, 32, 32) and masks.min() >= 0 and masks.max() <= 1
    assert not any(p.requires_grad for p in checked.component.parameters())


def test_layout_equals_the_released_wing_checkpoint():
    mine = {k: list(v.shape) for k, v in FAN().state_dict().items()}
    assert mine == {k: shape for k, shape in OFFICIAL["fan"]}


def test_loads_wing_ckpt_and_names_a_missing_file(tmp_path):
    reference = FAN()
    with torch.no_grad():
        for p in reference.parameters():
            p.normal_()
    path = tmp_path / "wing.ckpt"
    torch.save({"state_dict": reference.state_dict(), "optimizer": {}}, path)
    enc = ganforge.build("encoder", {"type": "stargan_v2_fan", "weights": str(path)}, ganforge.DataInfo())
    for k, v in reference.state_dict().items():
        assert torch.equal(enc.fan.state_dict()[k], v), k
    with pytest.raises(FileNotFoundError, match=r"no FAN weights at .*missing\.ckpt.*download\.sh wing"):
        ganforge.build("encoder", {"type": "stargan_v2_fan", "weights": str(tmp_path / "missing.ckpt")},
                       ganforge.DataInfo())


def test_stays_in_eval_mode():
    enc = ganforge.build("encoder", {"type": "stargan_v2_fan", "weights": "none"}, ganforge.DataInfo())
    enc.train()
    assert not enc.training and not enc.fan.bn1.training


def test_shift_up_moves_rows():
    x = torch.arange(5.0).view(1, 1, 5, 1)
    assert shift_up(x, 2).flatten().tolist() == [2, 3, 4, 0, 1]
    assert shift_up(x, -1).flatten().tolist() == [4, 0, 1, 2, 3]


def test_heatmaps_to_masks():
    """One landmark per face part: the whole-face mask keeps the chin, the inner mask
    drops chin and mouth but keeps the eyes; dropped landmarks never show."""
    h = torch.zeros(1, 98, 256, 256)
    h[0, 10, 200, 128] = 1.0   # chin (8..24): shifted 0, cubed
    h[0, 0, 50, 50] = 1.0      # jaw end: dropped
    h[0, 90, 180, 128] = 0.05  # below the 0.1 threshold: dropped
    h[0, 62, 100, 80] = 1.0    # eye: x(shift -8)^3 + x(shift -24)
    masks = heatmaps_to_masks(h)
    assert masks.shape == (1, 2, 256, 256)
    whole, inner = masks[0]
    one = pytest.approx(1.0, abs=1e-5)
    assert whole[200, 128] == one and inner[200, 128] == 0
    assert whole[50, 50] == 0 and whole[180, 128] == 0
    assert whole[108, 80] == one and whole[124, 80] == one and inner[108, 80] == one
    assert whole[100, 80] == 0
    assert whole.sum() == pytest.approx(3.0, abs=1e-4)  # chin and the two eye copies

"""Instance-boundary contrast on hand-made images whose value is known."""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge_panoptic.metric import boundary_statistics


def _ramp(scene, step: float):
    """Images on [-1, 1] of the two-instance scene: a diagonal ramp rising 0.01 per pixel
    along rows and columns in every channel (every neighbour pair differs equally: a
    pattern running on across the boundary), plus ``step`` on the right instance."""
    cond = scene(2, 32)
    ramp = torch.arange(32, dtype=torch.float64) * 0.01 - 0.3
    image = (ramp.view(1, 1, 1, 32) + ramp.view(1, 1, 32, 1)).expand(2, 3, 32, 32)
    image = image + step * (cond["instance"] == 2).unsqueeze(1)
    return image, cond


def test_a_blended_boundary_has_contrast_one_and_a_step_raises_it(registry, data, scene):
    metric = ganforge.build("metric", {"type": "instance_boundary", "quantize": False}, data)
    blended, cond = _ramp(scene, 0.0)
    stepped, _ = _ramp(scene, 0.2)
    metric.update(blended, real=stepped, cond=cond)
    out = metric.compute()
    # on [0, 1] the ramp is 0.005 per pixel and channel; the step adds 0.1 at the boundary
    assert out["ibc_boundary_energy"] == pytest.approx(3 * 0.005 ** 2)
    assert out["ibc"] == pytest.approx(1.0)
    assert out["ibc_real"] == pytest.approx((0.105 / 0.005) ** 2)


def test_statistics_count_only_same_class_instance_boundaries(scene):
    cond = scene(1, 32)
    image = torch.rand(1, 3, 32, 32)
    stats = boundary_statistics(image, cond["label"], cond["panoptic"])
    assert stats[1] == 16  # 16 rows where the two instances meet; the class-0 border is not counted
    assert stats[3] == 2 * (16 * 7 + 15 * 8)  # pairs inside either instance


def test_scenes_without_touching_instances_are_an_error(registry, data, scene):
    metric = ganforge.build("metric", "instance_boundary", data)
    cond = scene(1, 32)
    cond = cond.replace(panoptic=cond["label"] + 1)
    metric.update(torch.rand(1, 3, 32, 32) * 2 - 1, cond=cond)
    with pytest.raises(ValueError, match="no touching instances of one class"):
        metric.compute()
    with pytest.raises(ValueError, match="pass `cond`"):
        metric.update(torch.rand(1, 3, 32, 32))

"""The Panoptic generator: SPADE's network with panoptic-aware convolutions and
upsampling, seeing instance boundaries that a SPADE generator without an edge map cannot."""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge import DataInfo
from ganforge_panoptic.conv import PanopticConv2d
from ganforge_panoptic.generator import PanopticResnetBlock
from ganforge_panoptic.upsample import PanopticUpsample


def test_shape_range_and_panoptic_layers(registry, data, scene, tiny):
    torch.manual_seed(0)
    g = ganforge.build("generator", tiny, data)
    out = g(scene(2, 32))
    assert out.shape == (2, 3, 32, 32) and out.abs().max() <= 1
    assert all(isinstance(b, PanopticResnetBlock) for b in g.blocks)
    assert all(isinstance(c, PanopticConv2d) for c in (g.fc, g.conv_img, g.blocks[0].conv_0, g.blocks[0].conv_1))
    assert [type(u) for u in g.upsamplers.values()] == [PanopticUpsample] * 5
    assert sorted(g.upsamplers) == ["1", "3", "4", "5", "6"]  # 'normal': no upsampling before G_middle_1


def test_splitting_a_region_into_two_instances_changes_the_output(registry, data, scene, tiny):
    """One class-1 region, or the same region as two touching instances: SPADE without an
    edge map gets identical input and gives identical images; the Panoptic generator
    changes its output along the instances' common boundary."""
    cond = scene(1, 32)
    merged = cond.replace(panoptic=cond["label"] + 1)
    torch.manual_seed(0)
    ours = ganforge.build("generator", tiny, data).eval()
    spade = ganforge.build("generator", {"type": "spade", "ngf": 2, "norm": {"type": "spade", "nhidden": 8},
                                         "use_instance": False}, data).eval()
    with torch.no_grad():
        diff = (ours(cond) - ours(merged)).abs().amax(1)[0]
        assert torch.equal(spade(cond), spade(merged))
    assert diff[8:24, 15:17].mean() > 10 * diff[:, :8].mean()


@pytest.mark.parametrize("norm, upsample", [({"type": "spade", "nhidden": 8}, "nearest"),
                                            ({"type": "panoptic_spade", "nhidden": 8}, "nearest"),
                                            ({"type": "spade", "nhidden": 8}, "panoptic_upsample")])
def test_the_slots_give_the_ablations(registry, data, scene, norm, upsample):
    g = ganforge.build("generator", {"type": "panoptic", "ngf": 2, "norm": norm, "upsample": upsample}, data)
    out = g(scene(2, 32))
    out.mean().backward()
    assert out.shape == (2, 3, 32, 32) and g.fc.weight.grad is not None


def test_requirements_and_errors(registry, tiny):
    from ganforge_panoptic.generator import PanopticGenerator, PanopticGeneratorParams

    p = PanopticGeneratorParams()
    fields = lambda *f: DataInfo(fields=frozenset(f), resolution=(32, 32), label_nc=3)  # noqa: E731
    assert PanopticGenerator.requirements(p, fields("label", "panoptic")) == {"label", "panoptic"}
    assert PanopticGenerator.requirements(p, fields("label", "instance")) == {"label", "instance"}
    with pytest.raises(ganforge.ConfigError, match="divisible by 2\\^5 = 32"):
        ganforge.build("generator", tiny, DataInfo(fields=frozenset({"label", "panoptic"}), resolution=(48, 40),
                                                   label_nc=3))


def test_spades_generator_takes_the_upsampling_through_its_slot(registry, data, scene):
    g = ganforge.build("generator", {"type": "spade", "ngf": 2, "norm": {"type": "spade", "nhidden": 8},
                                     "upsample": "panoptic_upsample"}, data)
    assert [type(u) for u in g.upsamplers.values()] == [PanopticUpsample] * 5
    cond = scene(2, 32)
    with torch.no_grad():
        assert not torch.equal(g(cond), g(cond.replace(panoptic=cond["label"] + 1)))

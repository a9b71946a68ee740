"""The synthetic world: determinism, every modality's shape and range, and the mutual
consistency of the modalities (they describe one scene)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from ganforge.data.synthetic import DOMAINS, MODALITIES, SyntheticParams, SyntheticWorld
from ganforge.data.synthetic.classes import apply_domain

RESOLUTIONS = [(64, 64), (48, 80)]


def world(**kw) -> SyntheticWorld:
    kw.setdefault("resolution", 64)
    return SyntheticWorld(SyntheticParams(**kw))


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], dict):
            assert_same(a[k], b[k])
        else:
            assert torch.equal(a[k], b[k]), k


def test_same_seed_and_index_give_the_identical_sample_in_any_order():
    w1, w2 = world(seed=3), world(seed=3)
    later = w1[5]
    w2[0], w2[9]  # other samples first: no hidden state
    assert_same(later, w2[5])
    assert not torch.equal(w1[5]["image"], w1[6]["image"])
    assert not torch.equal(w1[5]["image"], world(seed=4)[5]["image"])


def test_dataloader_workers_and_default_collate():
    w = world(resolution=32, length=4)
    loader = torch.utils.data.DataLoader(w, batch_size=2, num_workers=2)
    batches = list(loader)
    assert torch.equal(batches[1]["label"][0], w[2]["label"])  # a worker renders the same sample
    b = batches[0]
    assert b["image"].shape == (2, 3, 32, 32) and b["boxes"].shape == (2, 8, 5)
    assert b["scene"]["position"].shape == (2, 6, 3) and b["domain"].shape == (2,)


@pytest.mark.parametrize("hw", RESOLUTIONS)
def test_shapes_dtypes_and_ranges(hw):
    h, w = hw
    wd = world(resolution=hw)
    s = wd[1]
    k = len(wd.classes)
    assert s["image"].shape == (3, h, w) and s["image"].dtype == torch.float32
    assert -1 <= s["image"].min() and s["image"].max() <= 1 and s["image"].std() > 0.05
    for name in ("label", "instance", "panoptic"):
        assert s[name].shape == (h, w) and s[name].dtype == torch.long, name
    assert 0 <= s["label"].min() and s["label"].max() < k
    for name in ("edge", "sketch"):
        assert s[name].shape == (1, h, w) and set(s[name].unique().tolist()) <= {0.0, 1.0}, name
    assert s["boxes"].shape == (8, 5) and s["boxes"].dtype == torch.float32
    real = s["boxes"][s["boxes"][:, 0] >= 0]
    assert len(real) >= 1 and (real[:, 1:] >= 0).all() and (real[:, 1:] <= 1).all()
    assert (s["boxes"][len(real):, 0] == -1).all()  # padding after the real rows
    assert s["domain"].shape == () and 0 <= int(s["domain"]) < 3
    assert s["region_style_params"].shape == (k, 8) and s["region_present"].dtype == torch.bool
    assert s["class_label"].dtype == torch.long and s["labelled"].dtype == torch.bool
    assert wd.info().resolution == hw and wd.info().label_nc == k == 9 and wd.info().num_classes == 5


@pytest.mark.parametrize("index", range(4))
def test_instances_panoptic_and_boxes_agree_with_the_label_map(index):
    wd = world(resolution=(48, 80), seed=1)
    s = wd[index]
    label, inst = s["label"], s["instance"]
    isthing = torch.tensor([c.isthing for c in wd.classes])
    assert torch.equal(inst > 0, isthing[label])  # instances exactly cover the thing regions
    ids = [int(i) for i in inst.unique() if i > 0]
    assert ids == list(range(1, len(ids) + 1))
    assert torch.equal(s["panoptic"] % 256 - 1, label) and torch.equal(s["panoptic"] // 256, inst)
    h, w = label.shape
    for row, k in zip(s["boxes"], ids):
        ys, xs = torch.nonzero(inst == k, as_tuple=True)
        assert len(label[inst == k].unique()) == 1 and row[0] == label[ys[0], xs[0]]
        # the box encloses every pixel of the object and touches its extremes
        assert torch.allclose(row[1:], torch.tensor([xs.min() / w, ys.min() / h, (xs.max() + 1) / w,
                                                     (ys.max() + 1) / h]))
    assert (s["boxes"][len(ids):, 0] == -1).all()


def _boundaries(*maps: np.ndarray) -> np.ndarray:
    """Reference: a pixel is an edge if it differs from its right or lower neighbour, or
    its left or upper neighbour differs from it, in any map."""
    out = np.zeros(maps[0].shape, bool)
    for m in maps:
        dx, dy = m[:, 1:] != m[:, :-1], m[1:, :] != m[:-1, :]
        out[:, 1:] |= dx
        out[:, :-1] |= dx
        out[1:, :] |= dy
        out[:-1, :] |= dy
    return out


def test_edge_map_is_the_label_and_instance_boundaries():
    for i in range(3):
        s = world()[i]
        ref = _boundaries(s["label"].numpy(), s["instance"].numpy())
        assert np.array_equal(s["edge"][0].numpy().astype(bool), ref)


def test_sketch_is_a_jittered_broken_trace_of_the_object_outlines():
    s = world(resolution=128)[0]
    inst = s["instance"].numpy()
    outline = _boundaries(inst) & (inst > 0)
    sketch = s["sketch"][0].numpy().astype(bool)
    assert sketch.sum() > 0.3 * outline.sum()
    # every stroke pixel lies near an outline (jitter is about 1% of the image + 0.75 px) ...
    ys, xs = np.nonzero(outline)
    for y, x in zip(*np.nonzero(sketch)):
        assert np.min(np.maximum(abs(ys - y), abs(xs - x))) <= 3
    # ... but it is not the outline itself: strokes wobble and break
    assert (sketch != outline).sum() > 0.1 * outline.sum()
    assert sketch[outline].mean() < 0.9


def test_domain_changes_colours_but_not_layout():
    wd = world()
    day, night = wd.render(2, domain=0), wd.render(2, domain=2)
    for key in ("label", "instance", "panoptic", "boxes", "edge", "sketch", "region_style_params", "class_label"):
        assert torch.equal(day[key], night[key]), key
    assert_same(day["scene"], night["scene"])
    assert int(day["domain"]) == 0 and int(night["domain"]) == 2
    assert (day["image"] - night["image"]).abs().mean() > 0.1
    # the night image is the day image under the night colour transform, for every class
    rgb = (day["image"].permute(1, 2, 0).numpy() + 1) / 2
    expect = apply_domain(rgb, DOMAINS[2]) * 2 - 1
    assert np.allclose(night["image"].permute(1, 2, 0).numpy(), expect, atol=1e-5)


def test_fixed_domain_and_drawn_domains_cover_all_looks():
    assert {int(world(resolution=16, domain=1)[i]["domain"]) for i in range(5)} == {1}
    assert {int(world(resolution=16, num_domains=4)[i]["domain"]) for i in range(40)} == {0, 1, 2, 3}


def test_labelled_fraction_is_respected_and_unlabelled_samples_hide_the_class():
    wd = world(resolution=16, labelled_fraction=0.3, length=200, fields=("class_label",))
    samples = [wd[i] for i in range(200)]
    labelled = np.array([bool(s["labelled"]) for s in samples])
    assert abs(labelled.mean() - 0.3) < 0.08
    for s in samples:
        assert int(s["class_label"]) == (int(s["true_class_label"]) if s["labelled"] else -1)
    assert all(bool(world(resolution=16)[i]["labelled"]) for i in range(10))  # default: all labelled


def test_class_label_is_the_category_of_the_largest_visible_object():
    wd = world(seed=7)
    for i in range(4):
        s = wd[i]
        sc = s["scene"]
        areas = {int(k): int((s["instance"] == k).sum()) for k in s["instance"].unique() if k > 0}
        main = max(areas, key=areas.get)
        obj = int(torch.nonzero(sc["instance_id"] == main)[0])
        assert int(s["class_label"]) == int(sc["category"][obj])
        assert wd.shapes[int(sc["category"][obj])] == wd.class_names[int(s["label"][s["instance"] == main][0])]


def _project(sc: dict, points: np.ndarray, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """An independent pinhole projection written from the documented conventions."""
    az, el = np.radians(float(sc["azimuth"])), np.radians(float(sc["elevation"]))
    fwd = np.array([np.sin(az) * np.cos(el), -np.sin(el), np.cos(az) * np.cos(el)])
    right = np.array([np.cos(az), 0, -np.sin(az)])
    up = np.cross(fwd, right)
    q = points - np.array([0, float(sc["camera_height"]), 0])
    f = (h / 2) / np.tan(np.radians(float(sc["fov"])) / 2)
    z = q @ fwd
    return np.stack([f * (q @ right) / z + w / 2 - 0.5, -f * (q @ up) / z + h / 2 - 0.5], -1), z


@pytest.mark.parametrize("hw", RESOLUTIONS)
def test_scene_parameters_are_the_ones_behind_the_image(hw):
    h, w = hw
    wd = world(resolution=hw, seed=11)
    for i in range(4):
        s = wd[i]
        sc = {k: v.numpy() for k, v in s["scene"].items()}
        n = int((sc["category"] >= 0).sum())
        uv, depth = _project(sc, sc["position"][:n], h, w)
        for j in range(n):
            k = sc["instance_id"][j]
            if k == 0:
                continue
            # the object's pixels lie inside the projection of its rotated, sized square
            rho, psi = np.radians(sc["roll"][j]), np.radians(sc["yaw"][j])
            a_axis = np.array([np.cos(psi), 0, -np.sin(psi)])
            corners = []
            for ca, cb in [(-1, -1), (1, -1), (1, 1), (-1, 1)]:
                la, lb = ca * sc["size"][j, 0], cb * sc["size"][j, 1]
                ra, rb = np.cos(rho) * la - np.sin(rho) * lb, np.sin(rho) * la + np.cos(rho) * lb
                corners.append(sc["position"][j] + ra * a_axis + rb * np.array([0, 1, 0]))
            cuv, _ = _project(sc, np.array(corners), h, w)
            ys, xs = np.nonzero(s["instance"].numpy() == k)
            assert xs.min() >= cuv[:, 0].min() - 1 and xs.max() <= cuv[:, 0].max() + 1
            assert ys.min() >= cuv[:, 1].min() - 1 and ys.max() <= cuv[:, 1].max() + 1
            # its centre pixel shows the object itself, or a nearer one in front of it
            u, v = np.rint(uv[j]).astype(int)
            if 0 <= u < w and 0 <= v < h:
                there = int(s["instance"][v, u])
                assert there == k or (there > 0 and depth[list(sc["instance_id"]).index(there)] < depth[j] + 1e-3)
            assert wd.class_names[int(s["label"][ys[0], xs[0]])] == wd.shapes[sc["category"][j]]


def test_region_style_params_describe_each_present_region():
    wd = world(resolution=96, domain=0)
    for i in range(3):
        s = wd[i]
        counts = torch.bincount(s["label"].flatten(), minlength=len(wd.classes))
        assert torch.equal(s["region_present"], counts > 0)
        sky = s["label"] == wd.class_names.index("sky")
        if sky.sum() > 200:  # the sky's mean colour is its region colour (textures are zero-mean)
            mean = (s["image"][:, sky].mean(1) + 1) / 2
            assert torch.allclose(mean, s["region_style_params"][0, :3], atol=0.1)
    styles = torch.stack([wd[i]["region_style_params"] for i in range(4)])
    assert (styles.std(0) > 0).all()  # drawn per sample


def test_fields_select_the_modalities_and_info_reports_them():
    wd = world(fields=("label", "domain", "scene"))
    assert set(wd[0]) == {"image", "label", "domain", "scene"}
    assert wd.info().fields == {"label", "domain"}  # only Condition fields
    assert world().info().fields == {"label", "instance", "panoptic", "boxes", "edge", "sketch", "domain",
                                     "class_label"}
    assert set(MODALITIES) <= set(world()[0]) | {"scene"}


def test_label_set_options_renumber_classes():
    wd = world(stuff=("sky", "ground"), things=("box", "star"))
    assert wd.class_names == ("sky", "ground", "box", "star") and wd.info().label_nc == 4
    labels = torch.stack([wd[i]["label"] for i in range(4)])
    assert labels.max() <= 3 and set(labels.unique().tolist()) >= {0, 1}


@pytest.mark.parametrize("bad, message", [
    ({"things": ("hexagon",)}, "unknown classes"),
    ({"stuff": ("water",)}, "must include"),
    ({"max_objects": 9, "max_boxes": 4}, "max_boxes"),
    ({"resolution": 8}, "each side"),
    ({"domain": 3}, "num_domains"),
    ({"fields": ("label", "depth")}, "fields"),
])
def test_invalid_params_are_rejected_with_the_reason(bad, message):
    with pytest.raises(ValidationError, match=message):
        SyntheticParams(**bad)


def test_index_and_domain_out_of_range():
    with pytest.raises(IndexError, match="outside"):
        world(length=3)[3]
    with pytest.raises(ValueError, match=r"domain 3 outside \[0, 3\)"):
        world().render(0, domain=3)


def test_one_scene_at_every_resolution_of_the_same_aspect():
    small, large = world(resolution=64, seed=9)[4], world(resolution=128, seed=9)[4]
    assert_same(small["scene"], large["scene"])
    assert torch.equal(small["region_style_params"], large["region_style_params"])
    # the label maps agree wherever the 128 map is constant over each 2x2 block
    blocks = large["label"].reshape(64, 2, 64, 2).permute(0, 2, 1, 3).reshape(64, 64, 4)
    flat = (blocks == blocks[..., :1]).all(-1)
    agree = (small["label"] == blocks[..., 0])[flat].float().mean()
    assert flat.float().mean() > 0.8 and agree > 0.97

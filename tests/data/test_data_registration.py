"""Datasets are registered under their config names and built from specs; the shared map
operations behave as documented."""

from __future__ import annotations

import numpy as np
import pytest

import ganforge
from ganforge import data
from ganforge.data.ops import boxes_from_instances, ids_to_rgb, rgb_to_ids, segments_info
from ganforge.registry import Discovery, use_registry
from ganforge.registry.components import build_registry

NAMES = ["ade20k", "celebamask_hq", "cityscapes", "class_folders", "coco_panoptic", "coco_stuff", "deepfashion",
         "paired_folders", "synthetic"]


class CoreData:
    @ganforge.hookimpl
    def ganforge_register(self, register):
        data.register_components(register)


@pytest.fixture
def registry():
    discovery = Discovery()
    discovery.add_object(CoreData(), "core_data")
    with use_registry(build_registry(discovery, strict=True)) as reg:
        yield reg


def test_every_dataset_is_registered_with_a_summary(registry):
    assert registry.names("dataset") == NAMES
    for rec in registry.records("dataset"):
        assert rec.summary and issubclass(rec.params, ganforge.Params)
        undocumented = [n for n, f in rec.params.model_fields.items() if not f.description]
        assert not undocumented, (rec.name, undocumented)


def test_build_synthetic_from_a_spec(registry):
    ds = ganforge.build("dataset", {"type": "synthetic", "resolution": [32, 48], "seed": 2, "length": 5})
    assert isinstance(ds, data.SyntheticWorld) and len(ds) == 5
    assert ds[0]["image"].shape == (3, 32, 48) and ds.info().resolution == (32, 48)


def test_build_reports_bad_params_with_their_path(registry):
    with pytest.raises(ganforge.ConfigError, match=r"dataset\.labelled_fraction"):
        ganforge.build("dataset", {"type": "synthetic", "labelled_fraction": 2})
    with pytest.raises(ganforge.ConfigError, match=r"dataset\.label_nc"):
        ganforge.build("dataset", {"type": "paired_folders", "root": "."})


def test_panoptic_rgb_encoding_is_coco_s():
    ids = np.array([[0, 1, 256], [65536, 4 + 256 * 3, 2 ** 24 - 1]])
    rgb = ids_to_rgb(ids)
    assert rgb[1, 1].tolist() == [4, 3, 0] and rgb[1, 0].tolist() == [0, 0, 1]
    assert np.array_equal(rgb_to_ids(rgb), ids)
    with pytest.raises(ValueError, match="2\\^24"):
        ids_to_rgb(np.array([2 ** 24]))


def test_boxes_from_instances_and_segments_info():
    label = np.zeros((4, 8), np.int64)
    inst = np.zeros((4, 8), np.int64)
    label[1:3, 2:5], inst[1:3, 2:5] = 7, 3
    label[0, 7], inst[0, 7] = 5, 1
    boxes = boxes_from_instances(label, inst, max_boxes=3)
    assert boxes.tolist() == [[5, 7 / 8, 0, 1, 1 / 4], [7, 2 / 8, 1 / 4, 5 / 8, 3 / 4], [-1, 0, 0, 0, 0]]
    assert boxes_from_instances(label, inst, max_boxes=1).shape == (1, 5)
    segs = segments_info(label + 1 + 256 * inst, lambda s: s % 256, lambda c: c > 5)
    assert [(s["category_id"], s["isthing"], s["bbox"], s["area"]) for s in segs] == [
        (1, 0, [0, 0, 8, 4], 25), (6, 1, [7, 0, 1, 1], 1), (8, 1, [2, 1, 3, 2], 6)]


def test_info_fields_never_exceed_what_the_class_declares(registry, tmp_path):
    world = ganforge.build("dataset", {"type": "synthetic", "resolution": 16})
    assert world.info().fields == type(world).provides
    root = data.export_synthetic(world, tmp_path, "coco_panoptic", 1)
    coco = ganforge.build("dataset", {"type": "coco_panoptic", "root": str(root), "load_size": 16, "crop_size": 16})
    assert coco.info().fields == type(coco).provides


def test_segmentation_layouts_describe_themselves_without_files():
    from ganforge.data.layouts import Cityscapes, CityscapesParams, PairedFolders, PairedFoldersParams

    city = Cityscapes.describe(CityscapesParams(root="/nowhere"))
    assert city.resolution == (256, 512) and city.label_nc == 35 and "instance" in city.fields
    custom = PairedFolders.describe(PairedFoldersParams(root="/nowhere", label_nc=5, preprocess="none"))
    assert custom is None  # the output size depends on the images

"""Every published layout, end to end: export the synthetic world, load it back through the
layout's loader, and compare; bad files raise DataError naming the file, or are skipped
and counted."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.data import (ADE20K, COCOPanoptic, COCOStuff, CelebAMaskHQ, Cityscapes, ClassFolders, DeepFashion,
                           PairedFolders, export_synthetic, transforms)
from ganforge.data.synthetic import SyntheticParams, SyntheticWorld
from ganforge.errors import DataError

RES, N = 32, 3
EXACT = dict(load_size=RES, crop_size=RES, flip=False)  # identity transform


@pytest.fixture(scope="module")
def world() -> SyntheticWorld:
    return SyntheticWorld(SyntheticParams(resolution=RES, seed=5))


@pytest.fixture(scope="module")
def world8() -> SyntheticWorld:
    """Eight classes, as many as DeepFashion's parsing labels."""
    return SyntheticWorld(SyntheticParams(resolution=RES, seed=5, things=("disc", "box", "triangle", "star")))


def export(world, tmp_path: Path, layout: str) -> Path:
    return export_synthetic(world, tmp_path / layout, layout, N)


def assert_image_round_trip(loaded: torch.Tensor, ref: torch.Tensor):
    assert loaded.shape == ref.shape
    assert (loaded - ref).abs().max() <= 0.5 / 127.5 + 1e-6  # uint8 quantisation only


def test_paired_folders_round_trip(world, tmp_path):
    root = export(world, tmp_path, "paired_folders")
    ds = PairedFolders(PairedFolders.Params(root=str(root), label_nc=9, no_instance=False,
                                            instance_dir="instances", **EXACT))
    assert len(ds) == N
    info = ds.info()
    assert info.fields == {"label", "instance"} and info.label_nc == 9 and info.resolution == (RES, RES)
    for i in range(N):
        s, ref = ds[i], world[i]
        assert_image_round_trip(s["image"], ref["image"])
        assert torch.equal(s["label"], ref["label"]) and torch.equal(s["instance"], ref["instance"])


def test_paired_folders_boxes_from_instances(world, tmp_path):
    root = export(world, tmp_path, "paired_folders")
    ds = PairedFolders(PairedFolders.Params(root=str(root), label_nc=9, no_instance=False, instance_dir="instances",
                                            max_boxes=8, **EXACT))
    assert "boxes" in ds.info().fields
    assert torch.equal(ds[0]["boxes"], world[0]["boxes"])


def test_class_folders_round_trip(world, tmp_path):
    root = export(world, tmp_path, "class_folders")
    ds = ClassFolders(ClassFolders.Params(root=str(root), **EXACT))
    assert ds.domains == ["0_day", "1_dusk", "2_night"][: len(ds.domains)]
    assert ds.info().fields == {"domain", "class_label"} and ds.info().num_domains == len(ds.domains)
    for k, entry in enumerate(ds.entries):
        i = int(entry.image.stem)
        s, ref = ds[k], world[i]
        assert int(s["domain"]) == int(ref["domain"]) == int(s["class_label"]) and s["labelled"]
        assert_image_round_trip(s["image"], ref["image"])


def test_class_folders_domains_from_params_describe_without_the_files_and_are_checked(world, tmp_path):
    root = export(world, tmp_path, "class_folders")
    found = ClassFolders(ClassFolders.Params(root=str(root), **EXACT)).domains
    named = ClassFolders.Params(root=str(tmp_path / "absent"), domains=tuple(reversed(found)), **EXACT)
    info = ClassFolders.describe(named)
    assert info.num_domains == info.num_classes == len(found) and info.fields == {"domain", "class_label"}
    ds = ClassFolders(named.model_copy(update={"root": str(root)}))
    assert ds.domains == list(reversed(found)) and ds.info() == info  # the given order is the index
    with pytest.raises(DataError, match=r"domain folders 9_moon \(data.domains\) do not exist"):
        ClassFolders(ClassFolders.Params(root=str(root), domains=(found[0], "9_moon"), **EXACT))
    with pytest.raises(DataError, match=rf"{len(found)} domain folders, but data.domains says 7"):
        ClassFolders(ClassFolders.Params(root=str(root), domains=7, **EXACT))
    assert ClassFolders.describe(ClassFolders.Params(root="x", **EXACT)) is None  # null: read from the disk


def test_class_folders_labelled_fraction_is_a_seeded_split(tmp_path):
    wd = SyntheticWorld(SyntheticParams(resolution=16, fields=("domain",), length=80))
    root = export_synthetic(wd, tmp_path, "class_folders", 80)
    params = dict(root=str(root), load_size=16, crop_size=16, flip=False, labelled_fraction=0.25)
    ds = ClassFolders(ClassFolders.Params(**params))
    samples = [ds[i] for i in range(len(ds))]
    labelled = np.array([bool(s["labelled"]) for s in samples])
    assert abs(labelled.mean() - 0.25) < 0.12  # 2.5 sigma at n = 80; the split is seeded, not flaky
    for s in samples:
        assert int(s["class_label"]) == (int(s["domain"]) if s["labelled"] else -1)
    again = ClassFolders(ClassFolders.Params(**params))
    assert [bool(again[i]["labelled"]) for i in range(len(ds))] == labelled.tolist()
    other = ClassFolders(ClassFolders.Params(**{**params, "seed": 1}))
    assert [bool(other[i]["labelled"]) for i in range(len(ds))] != labelled.tolist()


def test_coco_panoptic_round_trip(world, tmp_path):
    root = export(world, tmp_path, "coco_panoptic")
    doc = json.loads((root / "annotations" / "panoptic_train2017.json").read_text())
    assert [c["name"] for c in doc["categories"]] == list(world.class_names)
    seg = doc["annotations"][0]["segments_info"]
    ref = world[0]
    for info in seg:  # COCO segments_info: bbox [x, y, w, h] and area in pixels
        ys, xs = torch.nonzero(ref["panoptic"] == info["id"], as_tuple=True)
        assert info["area"] == len(xs) and info["bbox"] == [int(xs.min()), int(ys.min()),
                                                           int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]
        assert info["isthing"] == int(world.classes[info["category_id"] - 1].isthing)
    ds = COCOPanoptic(COCOPanoptic.Params(root=str(root), **EXACT))
    assert ds.info().label_nc == 9 and ds.info().fields == {"label", "instance", "panoptic", "boxes"}
    for i in range(N):
        s, ref = ds[i], world[i]
        assert_image_round_trip(s["image"], ref["image"])
        for key in ("label", "instance", "panoptic", "boxes"):
            assert torch.equal(s[key], ref[key]), key


def test_coco_void_pixels_become_dont_care(world, tmp_path):
    root = export(world, tmp_path, "coco_panoptic")
    png = root / "annotations" / "panoptic_train2017" / "000000000000.png"
    rgb = np.array(Image.open(png))
    rgb[:2] = 0  # COCO's void id 0
    Image.fromarray(rgb).save(png)
    s = COCOPanoptic(COCOPanoptic.Params(root=str(root), **EXACT))[0]
    assert (s["label"][:2] == 9).all() and (s["instance"][:2] == 0).all() and (s["panoptic"][:2] == 0).all()


def test_coco_stuff_round_trip_and_unlabelled_as_dont_care(world, tmp_path):
    root = export(world, tmp_path, "coco_stuff")
    ds = COCOStuff(COCOStuff.Params(root=str(root), **EXACT))
    assert ds.info().label_nc == 182 and ds.info().fields == {"label", "instance"}
    for i in range(N):
        s, ref = ds[i], world[i]
        assert_image_round_trip(s["image"], ref["image"])
        assert torch.equal(s["label"], ref["label"]) and torch.equal(s["instance"], ref["instance"])
    lab = ds.entries[0].maps["label"]
    raw = np.array(Image.open(lab))
    raw[-1] = 255  # COCO-Stuff's "unlabelled"
    Image.fromarray(raw).save(lab)
    assert (ds[0]["label"][-1] == 182).all()


def test_cityscapes_round_trip(world, tmp_path):
    root = export(world, tmp_path, "cityscapes")
    ds = Cityscapes(Cityscapes.Params(root=str(root), preprocess="resize_and_crop", **EXACT))
    assert ds.info().label_nc == 35 and ds.info().fields == {"label", "instance"}
    for i in range(N):
        s, ref = ds[i], world[i]
        assert_image_round_trip(s["image"], ref["image"])
        assert torch.equal(s["label"], ref["label"])
        # the raw instanceIds, as SPADE reads them: things class*1000+k, stuff its class id
        thing = ref["instance"] > 0
        assert torch.equal(s["instance"][thing], ref["label"][thing] * 1000 + ref["instance"][thing])
        assert torch.equal(s["instance"][~thing], ref["label"][~thing])


def test_cityscapes_fixed_preprocess_is_two_to_one(world, tmp_path):
    root = export(world, tmp_path, "cityscapes")
    ds = Cityscapes(Cityscapes.Params(root=str(root), crop_size=32, flip=False))
    s = ds[0]
    assert s["image"].shape == (3, 16, 32) and s["label"].shape == (16, 32) and ds.info().resolution == (16, 32)
    assert set(s["label"].unique().tolist()) <= set(world[0]["label"].unique().tolist())  # NEAREST: no new ids


def test_ade20k_round_trip_file_and_shifted_ids(world, tmp_path):
    root = export(world, tmp_path, "ade20k")
    ds = ADE20K(ADE20K.Params(root=str(root), **EXACT))
    assert ds.info().label_nc == 150 and ds.info().contain_dontcare_label
    for i in range(N):
        assert torch.equal(ds[i]["label"], world[i]["label"])
    shifted = ADE20K(ADE20K.Params(root=str(root), ids="shifted", **EXACT))
    label = world[0]["label"]
    assert torch.equal(shifted[0]["label"], torch.where(label == 0, 150, label - 1))


@pytest.mark.parametrize("cls, layout", [(CelebAMaskHQ, "celebamask_hq"), (DeepFashion, "deepfashion")])
def test_celebamask_hq_and_deepfashion_round_trip(cls, layout, world, world8, tmp_path):
    src = world8 if layout == "deepfashion" else world
    root = export(src, tmp_path, layout)
    ds = cls(cls.Params(root=str(root), **EXACT))
    assert ds.info().label_nc == (8 if layout == "deepfashion" else 19)
    for i in range(N):
        s, ref = ds[i], src[i]
        assert_image_round_trip(s["image"], ref["image"])
        assert torch.equal(s["label"], ref["label"])


def test_export_refuses_a_world_with_more_classes_than_the_layout(world, tmp_path):
    with pytest.raises(ValueError, match="at most 8"):
        export_synthetic(world, tmp_path, "deepfashion", 1)


# -- transforms ------------------------------------------------------------------------


def test_resize_crop_and_flip_move_image_and_maps_together(world, tmp_path):
    root = export(world, tmp_path, "paired_folders")
    ds = PairedFolders(PairedFolders.Params(root=str(root), label_nc=9, no_instance=False, instance_dir="instances",
                                            load_size=RES, crop_size=RES, flip=True))
    flipped = 0
    for seed in range(8):
        random.seed(seed)
        s, ref = ds[0], world[0]
        is_flipped = not torch.equal(s["label"], ref["label"])
        flipped += is_flipped
        expect = ref["label"].flip(-1) if is_flipped else ref["label"]
        assert torch.equal(s["label"], expect)
        assert torch.equal(s["instance"], ref["instance"].flip(-1) if is_flipped else ref["instance"])
        assert_image_round_trip(s["image"], ref["image"].flip(-1) if is_flipped else ref["image"])
    assert 0 < flipped < 8
    big = PairedFolders(PairedFolders.Params(root=str(root), label_nc=9, load_size=48, crop_size=40, flip=False))
    s = big[1]
    assert s["image"].shape == (3, 40, 40) and s["label"].shape == (40, 40)
    assert set(s["label"].unique().tolist()) <= set(world[1]["label"].unique().tolist())
    none = PairedFolders(PairedFolders.Params(root=str(root), label_nc=9, preprocess="none", flip=False))
    assert none[0]["label"].shape == (32, 32) and none.info().resolution == (32, 32)


# -- bad input ---------------------------------------------------------------------------


@pytest.fixture
def paired(world, tmp_path) -> Path:
    return export(world, tmp_path, "paired_folders")


def make(root: Path, **kw) -> PairedFolders:
    return PairedFolders(PairedFolders.Params(root=str(root), **{"label_nc": 9, **EXACT, **kw}))


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("what", ["images", "labels"])
def test_truncated_png_raises_naming_the_file(paired, what):
    bad = paired / what / "000001.png"
    truncate(bad)
    ds = make(paired)
    with pytest.raises(DataError, match=r"000001\.png: cannot read image"):
        ds[1]
    ds[0]  # the others still load


def test_label_id_beyond_label_nc_raises_naming_the_file(paired):
    with pytest.raises(DataError, match=r"labels/000000\.png: label id \d+ at \(x=\d+, y=\d+\) is outside \[0, 4\)"):
        make(paired, label_nc=4)[0]


def test_label_map_size_mismatch_raises_naming_both_files(paired):
    lab = paired / "labels" / "000002.png"
    Image.open(lab).resize((16, 16), Image.NEAREST).save(lab)
    with pytest.raises(DataError, match=r"labels/000002\.png: label map is 16x16 but its image .*000002\.png is 32x32"):
        make(paired)[2]


def test_colour_label_map_is_rejected(paired):
    lab = paired / "labels" / "000000.png"
    Image.open(lab).convert("RGB").save(lab)
    with pytest.raises(DataError, match=r"000000\.png: a label/instance map must be single-channel"):
        make(paired)[0]


def test_skip_mode_skips_and_counts_bad_samples(paired):
    truncate(paired / "images" / "000001.png")
    lab = paired / "labels" / "000002.png"
    Image.open(lab).resize((16, 16), Image.NEAREST).save(lab)
    ds = make(paired, on_error="skip")
    good = make(paired, max_samples=1)[0]
    samples = [ds[i] for i in range(len(ds))]
    assert len(samples) == 3 and all(torch.equal(s["label"], good["label"]) for s in samples)  # replaced by sample 0
    assert ds.num_skipped == 2
    assert sorted(Path(p).name for p in ds.errors) == ["000001.png", "000002.png"]
    assert "cannot read image" in ds.errors[str(paired / "images" / "000001.png")]


def test_skip_mode_with_nothing_good_left_raises(paired):
    for i in range(N):
        truncate(paired / "images" / f"{i:06d}.png")
    with pytest.raises(DataError, match="every one of the 3 samples failed"):
        make(paired, on_error="skip")[0]


def test_unpaired_files_and_missing_folders_are_reported(paired, tmp_path):
    (paired / "labels" / "000001.png").unlink()
    with pytest.raises(DataError, match="do not pair by file name; unpaired stems: 000001"):
        make(paired)
    with pytest.raises(DataError, match="dataset root does not exist"):
        make(tmp_path / "nowhere")
    with pytest.raises(DataError, match="no samples found"):
        (tmp_path / "empty" / "images").mkdir(parents=True)
        (tmp_path / "empty" / "labels").mkdir()
        make(tmp_path / "empty")


def test_coco_unknown_category_is_reported_with_the_json(world, tmp_path):
    root = export(world, tmp_path, "coco_panoptic")
    path = root / "annotations" / "panoptic_train2017.json"
    doc = json.loads(path.read_text())
    doc["annotations"][0]["segments_info"][0]["category_id"] = 99
    path.write_text(json.dumps(doc))
    with pytest.raises(DataError, match=r"panoptic_train2017\.json: segment \d+ of 000000000000\.png has category 99"):
        COCOPanoptic(COCOPanoptic.Params(root=str(root), **EXACT))


def test_cityscapes_missing_annotation_is_reported(world, tmp_path):
    root = export(world, tmp_path, "cityscapes")
    next((root / "gtFine").rglob("*_instanceIds.png")).unlink()
    with pytest.raises(DataError, match="_instanceIds.png does not exist"):
        Cityscapes(Cityscapes.Params(root=str(root)))


def test_coco_malformed_annotation_file_is_reported(world, tmp_path):
    root = export(world, tmp_path, "coco_panoptic")
    path = root / "annotations" / "panoptic_train2017.json"
    doc = json.loads(path.read_text())
    doc["annotations"][1]["image_id"] = 12345
    path.write_text(json.dumps(doc))
    with pytest.raises(DataError, match=r"panoptic_train2017\.json: not a COCO panoptic annotation file \(KeyError"):
        COCOPanoptic(COCOPanoptic.Params(root=str(root), **EXACT))
    path.unlink()
    with pytest.raises(DataError, match=r"panoptic_train2017\.json: annotation file does not exist"):
        COCOPanoptic(COCOPanoptic.Params(root=str(root), **EXACT))


@pytest.mark.parametrize("mode, expect", [
    ("resize_and_crop", ((48, 48), (40, 40))),
    ("scale_width_and_crop", ((48, 24), None)),  # 48x24 cannot hold a 40x40 crop
    ("fixed", ((40, 20), (20, 40))),
    ("none", ((96, 64), (64, 96))),
])
def test_preprocess_modes_follow_spade(mode, expect):
    resized, out = expect
    # a 100x50 (W x H) input, load_size 48, crop_size 40, aspect 2
    assert transforms.resized_size(mode, (100, 50), 48, 40, 2.0) == resized
    if out is None:
        message = r"x\.png: resized to 48x24 by 'scale_width_and_crop', smaller than crop_size 40"
        with pytest.raises(DataError, match=message):
            transforms.plan(mode, (100, 50), 48, 40, 2.0, False, "x.png")
    else:
        assert transforms.output_size(mode, (100, 50), 48, 40, 2.0) == out
        t = transforms.plan(mode, (100, 50), 48, 40, 2.0, False, "x.png")
        ids = np.arange(50 * 100).reshape(50, 100)
        assert tuple(transforms.apply_ids(ids, t).shape) == out
        assert set(transforms.apply_ids(ids, t).unique().tolist()) <= set(ids.ravel().tolist())  # NEAREST only


def test_jpeg_export_loads_close_to_the_rendered_image(world, tmp_path):
    root = export_synthetic(world, tmp_path, "celebamask_hq", 2, image_format="jpg")
    assert sorted(p.name for p in (root / "train" / "images").iterdir()) == ["0.jpg", "1.jpg"]
    s = CelebAMaskHQ(CelebAMaskHQ.Params(root=str(root), **EXACT))[1]
    assert (s["image"] - world[1]["image"]).abs().mean() < 0.05
    assert torch.equal(s["label"], world[1]["label"])  # label maps stay lossless PNG


def test_celebamask_hq_accepts_half_size_masks_but_not_other_shapes(world, tmp_path):
    root = export(world, tmp_path, "celebamask_hq")
    small = root / "train" / "labels" / "0.png"
    Image.open(small).resize((16, 16), Image.NEAREST).save(small)  # as the release: masks at half size
    ds = CelebAMaskHQ(CelebAMaskHQ.Params(root=str(root), **EXACT))
    expect = torch.from_numpy(np.array(Image.open(small).resize((32, 32), Image.NEAREST))).long()
    assert torch.equal(ds[0]["label"], expect)
    Image.open(small).resize((16, 8), Image.NEAREST).save(small)
    with pytest.raises(DataError, match=r"0\.png: label map is 16x8 but its image .*0\.png is 32x32"):
        ds[0]


@pytest.mark.parametrize("mode", ["raise", "skip"])
def test_decompression_bomb_is_named_in_raise_and_skip_modes(paired, mode, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 32x32 images are "bombs" above 2 * 100 pixels
    if mode == "raise":
        with pytest.raises(DataError, match=r"images/000000\.png: cannot read image \(Image size \(1024 pixels\)"):
            make(paired, on_error=mode).info()
        return
    ds = make(paired, on_error=mode)
    with pytest.raises(DataError, match=r"no sample's image can be read, e.g. .*000000\.png: cannot read image"):
        ds.info()
    assert ds.num_skipped == 3


def test_unreadable_dataset_folder_is_named(paired, monkeypatch):
    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", refuse)  # what a folder without read permission gives (root reads anyway)
    with pytest.raises(DataError, match=r"images: cannot read the dataset \(Permission denied\)"):
        make(paired)

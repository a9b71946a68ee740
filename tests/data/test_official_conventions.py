"""The tensors ganforge feeds an imported network equal what the official data code makes
of the same files: label files written here in each dataset's official encoding, and the
official rule (quoted with its source file) computed beside ganforge's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.condition import Condition, instance_edges
from ganforge.data import ADE20K, Cityscapes
from ganforge.data.layouts import ADE20K_STUFF
from ganforge.data.ops import components8

RES = 32
EXACT = dict(load_size=RES, crop_size=RES, flip=False)


def _save(array: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def _ade20k_root(tmp_path: Path, label: np.ndarray) -> Path:
    root = tmp_path / "ADEChallengeData2016"
    _save(np.zeros((RES, RES, 3), np.uint8), root / "images" / "training" / "ADE_train_00000001.png")
    _save(label.astype(np.uint8), root / "annotations" / "training" / "ADE_train_00000001.png")
    return root


def _ade20k_label() -> np.ndarray:
    """ADE20K file ids: 0 = 'other', 1..150 the classes (file id 1 = wall, a stuff class;
    file id 13 = person, an object)."""
    label = np.full((RES, RES), 1, np.int64)  # wall
    label[:, :4] = 0  # other
    label[2:9, 6:14] = 13  # person, one component
    label[20:28, 4:10] = 13  # person, a second component
    label[9, 14] = label[10, 15] = 13  # diagonal touch: still the first component (8-connected)
    label[14:20, 20:30] = 151 - 1  # file id 150 (flag), an object
    label[30:32, 28:31] = 20  # car, a (2-1)*(3-1) = 2 px span: below BachGAN's 30
    label[12:18, 8:12] = 4  # floor: stuff, no box
    return label


def test_ade20k_labels_are_the_file_ids_as_official_spade_reads_them(tmp_path):
    """Official rule (NVlabs/SPADE data/pix2pix_dataset.py ``__getitem__`` and
    data/ade20k_dataset.py ``postprocess``): ``label_tensor = ToTensor(label) * 255``, 255 ->
    label_nc (ADE20K files have none); ``postprocess`` computes ``label = label - 1`` into a
    local variable and never writes it back, so the network reads the raw file ids with
    label_nc 150 + don't care = 151 channels, 'other' (id 0) in channel 0."""
    raw = _ade20k_label()
    ds = ADE20K(ADE20K.Params(root=str(_ade20k_root(tmp_path, raw)), **EXACT))
    label = ds[0]["label"]
    assert torch.equal(label, torch.from_numpy(raw))
    onehot = Condition(label=label[None]).onehot(151)[0]
    assert torch.equal(onehot[0].bool(), torch.from_numpy(raw == 0))
    assert torch.equal(onehot[150].bool(), torch.from_numpy(raw == 150))


def test_ade20k_shifted_ids_are_bachgans(tmp_path):
    """Official rule (Cold-Winter/BachGAN data/ade20k_dataset.py ``get_onehot_box_tensor``
    and the retrieval branch): ``label - 1`` with ``label[label == -1] = label_nc``."""
    raw = _ade20k_label()
    ds = ADE20K(ADE20K.Params(root=str(_ade20k_root(tmp_path, raw)), ids="shifted", **EXACT))
    official = raw - 1
    official[official == -1] = 150
    assert torch.equal(ds[0]["label"], torch.from_numpy(official))


def _bachgan_ade20k_boxes(label_shifted: np.ndarray) -> list[tuple[int, int, int, int, int]]:
    """BachGAN's rule (data/ade20k_dataset.py ``get_onehot_box_tensor``), OpenCV replaced by
    scipy's 8-connected labelling: for each object class of objectSplit35-115.mat present
    (``np.unique`` order), each contour's filled region gives the box ``min(i)..max(i)``,
    ``min(j)..max(j)``, skipped when ``(x2 - x1) * (y2 - y1) < 30``."""
    from scipy import ndimage

    boxes = []
    for c in np.unique(label_shifted):
        if c in ADE20K_STUFF or c >= 150:
            continue
        comp, n = ndimage.label(label_shifted == c, structure=np.ones((3, 3)))
        for k in range(1, n + 1):
            i, j = np.where(comp == k)
            if (i.max() - i.min()) * (j.max() - j.min()) < 30:
                continue
            boxes.append((int(c), j.min(), i.min(), j.max() + 1, i.max() + 1))
    return sorted(boxes)  # components of one class: ganforge's raster order vs scipy's


@pytest.mark.parametrize("ids", ["file", "shifted"])
def test_ade20k_boxes_are_bachgans_object_components(tmp_path, ids):
    raw = _ade20k_label()
    ds = ADE20K(ADE20K.Params(root=str(_ade20k_root(tmp_path, raw)), ids=ids, max_boxes=8, **EXACT))
    assert ds.info().fields == {"label", "boxes"}
    rows = ds[0]["boxes"]
    got = sorted((int(r[0]) - (1 if ids == "file" else 0), *(round(float(v) * RES) for v in r[1:]))
                 for r in rows if r[0] >= 0)
    shifted = raw - 1
    shifted[shifted == -1] = 150
    want = _bachgan_ade20k_boxes(shifted)
    assert got == want
    assert len(want) == 3  # two person components and the flag; the car is too small, floor is stuff


def test_components8_equals_scipys_eight_connected_labelling():
    from scipy import ndimage

    mask = np.random.default_rng(0).uniform(size=(40, 37)) < 0.45
    ours = components8(mask)
    ref, n = ndimage.label(mask, structure=np.ones((3, 3)))
    assert ours.max() == n
    pairs = set(zip(ours[mask].tolist(), ref[mask].tolist()))
    assert len(pairs) == n  # one-to-one


def _cityscapes_root(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    """Cityscapes gtFine files: labelIds, and instanceIds with ``class * 1000 + k`` for thing
    instances and the bare class id for stuff and for crowd regions."""
    label = np.full((RES, RES), 7, np.int64)  # road
    label[:8] = 23  # sky
    label[8:12] = 8  # sidewalk
    label[14:20, 2:10] = 26  # a car
    label[14:20, 12:18] = 26  # another car
    label[22:30, 20:30] = 24  # a crowd of persons (no instance id)
    inst = label.copy()
    inst[14:20, 2:10] = 26000
    inst[14:20, 12:18] = 26001
    root = tmp_path / "cityscapes"
    stem = "aachen_000000_000019"
    _save(np.zeros((RES, RES, 3), np.uint8), root / "leftImg8bit" / "train" / "aachen" / f"{stem}_leftImg8bit.png")
    gt = root / "gtFine" / "train" / "aachen"
    _save(label.astype(np.uint8), gt / f"{stem}_gtFine_labelIds.png")
    _save(inst.astype(np.uint16), gt / f"{stem}_gtFine_instanceIds.png")
    return root, label, inst


def _spade_get_edges(t: torch.Tensor) -> torch.Tensor:
    """NVlabs/SPADE models/pix2pix_model.py ``get_edges``, on the instance tensor the dataset
    gives (data/pix2pix_dataset.py: the raw ``*_instanceIds.png``)."""
    edge = torch.zeros(t.size(), dtype=torch.uint8)
    edge[:, :, :, 1:] = edge[:, :, :, 1:] | (t[:, :, :, 1:] != t[:, :, :, :-1])
    edge[:, :, :, :-1] = edge[:, :, :, :-1] | (t[:, :, :, 1:] != t[:, :, :, :-1])
    edge[:, :, 1:, :] = edge[:, :, 1:, :] | (t[:, :, 1:, :] != t[:, :, :-1, :])
    edge[:, :, :-1, :] = edge[:, :, :-1, :] | (t[:, :, 1:, :] != t[:, :, :-1, :])
    return edge.float()


def test_cityscapes_instance_edges_are_spades_on_the_raw_instance_ids(tmp_path):
    root, _, inst = _cityscapes_root(tmp_path)
    ds = Cityscapes(Cityscapes.Params(root=str(root), preprocess="resize_and_crop", **EXACT))
    ours = instance_edges(ds[0]["instance"][None])
    official = _spade_get_edges(torch.from_numpy(inst)[None, None])
    assert torch.equal(ours, official)
    assert ours[0, 0, 7:9].sum() == 2 * RES  # sky/road, a stuff-to-stuff boundary, is outlined


def test_cityscapes_boxes_include_crowd_regions(tmp_path):
    """BachGAN (data/cityscapes_dataset.py ``get_onehot_box_tensor``): a box for every
    instance id in ``np.unique(instanceIds)`` with ``str(id).startswith(str(c))`` for c in
    24..33, so the bare crowd id 24 gets one, before the 26xxx cars."""
    root, _, _ = _cityscapes_root(tmp_path)
    ds = Cityscapes(Cityscapes.Params(root=str(root), preprocess="resize_and_crop", max_boxes=4, **EXACT))
    rows = [tuple(round(float(v) * RES) for v in r[1:]) for r in ds[0]["boxes"] if r[0] >= 0]
    classes = [int(r[0]) for r in ds[0]["boxes"] if r[0] >= 0]
    assert classes == [24, 26, 26]
    assert rows == [(20, 22, 30, 30), (2, 14, 10, 20), (12, 14, 18, 20)]

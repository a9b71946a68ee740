"""The released data layouts: (edge | image) objects in class folders, A | B scene pairs."""

import numpy as np
import pytest
from PIL import Image

import ganforge


def write(path, left, right):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate([left, right], 1).astype(np.uint8)).save(path)


def test_object_pairs(edgegan, tmp_path):
    edge = np.full((16, 16, 3), 255)
    edge[4, :] = 0  # one black line
    write(tmp_path / "train" / "3" / "a.png", edge, np.full((16, 16, 3), 64))
    ds = ganforge.build("dataset", {"type": "edgegan_pairs", "root": str(tmp_path), "size": 16})
    s = ds[0]
    assert s["class_label"] == 3 and s["image"].shape == (3, 16, 16) and s["edge"].shape == (1, 16, 16)
    assert s["edge"][0, 4].sum() == 16 and s["edge"].sum() == 16
    assert abs(float(s["image"].mean()) - (64 / 127.5 - 1)) < 1e-3
    assert ds.info().num_classes == 14


def test_object_pairs_errors_name_the_file(edgegan, tmp_path):
    (tmp_path / "train" / "cat").mkdir(parents=True)
    with pytest.raises(ganforge.DataError, match=r"cat: class folders must be ids 0 .. 13"):
        ganforge.build("dataset", {"type": "edgegan_pairs", "root": str(tmp_path)})
    write(tmp_path / "val" / "0" / "b.png", np.zeros((16, 16, 3)), np.zeros((16, 8, 3)))
    ds = ganforge.build("dataset", {"type": "edgegan_pairs", "root": str(tmp_path), "split": "val"})
    with pytest.raises(ganforge.DataError, match=r"b.png: expected an \(edge \| image\) picture"):
        ds[0]


def test_scene_pairs(edgegan, tmp_path):
    write(tmp_path / "train" / "x.png", np.full((8, 8, 3), 255), np.zeros((8, 8, 3)))
    s = ganforge.build("dataset", {"type": "edgegan_scene_pairs", "root": str(tmp_path), "size": 16})[0]
    assert s["scene_sketch"].shape == (3, 16, 16) and float(s["scene_sketch"].min()) == 1.0
    assert float(s["image"].max()) == -1.0

"""The official ObjectDataset layout: labels from folder names, balancing, preprocessing, errors,
the paper configs, and reading back what ``make-world`` writes."""

import json
from collections import Counter
from pathlib import Path

import click
import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import ganforge
from ganforge.config import load_config
from ganforge.errors import DataError
from ganforge.testing import check_component
from ganforge_controllable_3d.cli import add_commands
from ganforge_controllable_3d.data import ObjectFolders, ObjectFoldersParams, num_objects
from ganforge_controllable_3d.world import Controllable3DWorld, WorldParams

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
COLOUR = {"car0_bg1": (10, 200, 30), "car1_bg1": (250, 0, 128), "car2_bg1": (0, 64, 255), "car3_bg1": (7, 7, 7)}


def make_tree(root: Path, counts: dict[str, int], split: str = "train", size: int = 32) -> Path:
    """root/<sub_dir>/<split>/<scene>/<i>.png, two images per scene folder, one colour per sub_dir."""
    for sub, n in counts.items():
        for i in range(n):
            path = root / sub / split / f"scene{i // 2:03d}" / f"{i}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (size, size), COLOUR.get(sub, (0, 0, 0))).save(path)
    return root


def objects(root, **kw) -> ObjectFolders:
    return ObjectFolders(ObjectFoldersParams(root=str(root), **{"sub_dirs": list(COLOUR), **kw}))


def domains(ds: ObjectFolders) -> Counter:
    return Counter(e.meta["domain"] for e in ds.entries)


def test_number_of_objects_comes_from_the_folder_name():
    assert [num_objects(n) for n in ("car0_bg1", "indoor3_bg1", "car2_bg0", "world1_bg1/")] == [0, 3, 2, 1]
    for bad in ("cars_bg1", "_bg1", "car"):
        with pytest.raises(ValueError, match="number of objects"):
            num_objects(bad)


def test_one_label_drops_pure_backgrounds_and_preprocesses_as_the_official_loader(tmp_path):
    make_tree(tmp_path, {"car0_bg1": 4, "car1_bg1": 3, "car2_bg1": 2, "car3_bg1": 1})
    ds = objects(tmp_path, nlabels=1, dequantize=False)
    assert len(ds) == 6 and domains(ds) == {0: 6}
    assert all("car0_bg1" not in str(e.image) for e in ds.entries)
    info = ds.info()
    assert (info.fields, info.num_domains, info.resolution) == ({"domain"}, 1, (64, 64))
    sample = ds[0]  # car1_bg1, resized 32 -> 64, exact colour in [-1, 1]
    assert sample["image"].shape == (3, 64, 64) and sample["domain"].item() == 0
    expected = torch.tensor(COLOUR["car1_bg1"], dtype=torch.float32) / 127.5 - 1
    assert torch.allclose(sample["image"], expected[:, None, None].expand(3, 64, 64), atol=1e-6)


def test_dequantisation_noise_is_the_official_one(tmp_path):
    make_tree(tmp_path, {"car1_bg1": 2})
    clean = objects(tmp_path, sub_dirs=["car1_bg1"], dequantize=False)[0]["image"]
    noisy = torch.stack([objects(tmp_path, sub_dirs=["car1_bg1"])[0]["image"] for _ in range(2)])
    noise = noisy - clean
    assert noise.min() >= 0 and noise.max() < 1 / 64 + 1e-6  # U[0, 1/128) in [0, 1] units, times 2 (+ rounding)
    assert abs(noise.mean().item() - 1 / 128) < 5e-4 and not torch.equal(noisy[0], noisy[1])


def test_two_labels_balance_the_train_split_like_make_equal_label(tmp_path):
    make_tree(tmp_path, {"car0_bg1": 4, "car1_bg1": 3, "car2_bg1": 2, "car3_bg1": 1})
    ds = objects(tmp_path, nlabels=2)
    assert len(ds) == 12 and domains(ds) == {0: 6, 1: 6}  # 4 backgrounds + 2 drawn without replacement
    extra = ds.entries[10:]
    assert all(e.meta["domain"] == 1 for e in extra) and len({e.image for e in extra}) == 2
    assert ds.info().num_domains == 2
    labels = {str(e.image): e.meta["domain"] for e in ds.entries}
    assert all((v == 1) == ("car0_bg1" in k) for k, v in labels.items())
    assert [e.image for e in objects(tmp_path, nlabels=2).entries] == [e.image for e in ds.entries]  # seeded
    assert {ds[i]["domain"].item() for i in range(len(ds))} == {0, 1}


def test_balancing_repeats_with_replacement_only_when_it_must(tmp_path):
    make_tree(tmp_path, {"car0_bg1": 1, "car1_bg1": 5})
    ds = objects(tmp_path, sub_dirs=["car0_bg1", "car1_bg1"], nlabels=2)
    assert domains(ds) == {0: 5, 1: 5} and len({e.image for e in ds.entries if e.meta["domain"] == 1}) == 1


def test_two_labels_on_val_keep_backgrounds_without_balancing(tmp_path):
    make_tree(tmp_path, {"car0_bg1": 1, "car1_bg1": 3}, split="val")
    ds = objects(tmp_path, sub_dirs=["car0_bg1", "car1_bg1"], nlabels=2, split="val")
    assert domains(ds) == {0: 3, 1: 1}


def test_bad_layouts_are_errors_naming_the_folder(tmp_path):
    make_tree(tmp_path, {"car1_bg1": 2, "cars_bg1": 2, "car2_bg1": 0})
    with pytest.raises(DataError, match=r"car9_bg1.*does not exist"):
        objects(tmp_path, sub_dirs=["car1_bg1", "car9_bg1"])
    with pytest.raises(DataError, match=r"cars_bg1.*number of objects"):
        objects(tmp_path, sub_dirs=["car1_bg1", "cars_bg1"])
    (tmp_path / "car2_bg1").mkdir()
    with pytest.raises(DataError, match=r"car2_bg1.train: no images"):
        objects(tmp_path, sub_dirs=["car1_bg1", "car2_bg1"])
    with pytest.raises(DataError, match=r"nlabels 2 needs a pure-background folder.*\['car1_bg1'\]") as err:
        objects(tmp_path, sub_dirs=["car1_bg1"], nlabels=2)
    assert str(tmp_path) in str(err.value)
    with pytest.raises(DataError, match="dataset root does not exist"):
        objects(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="nlabels"):
        ObjectFoldersParams(root=".", sub_dirs=["car1_bg1"], nlabels=3)


def test_dataset_conforms(c3d, tmp_path):
    make_tree(tmp_path, {"car0_bg1": 2, "car1_bg1": 2})
    check_component("dataset", "controllable_3d_objects",
                    {"root": str(tmp_path), "sub_dirs": ["car0_bg1", "car1_bg1"], "nlabels": 2})


@pytest.mark.parametrize("name, sub_dirs, nlabels, background, batch", [
    ("shapenet_car", ["car1_bg0", "car2_bg0", "car3_bg0"], 1, "white", 32),
    ("car", ["car0_bg1", "car1_bg1", "car2_bg1", "car3_bg1"], 2, "learned", 64),
    ("indoor", ["indoor0_bg1", "indoor1_bg1", "indoor2_bg1", "indoor3_bg1"], 2, "learned", 64),
])
def test_paper_configs_hold_the_official_settings(c3d, name, sub_dirs, nlabels, background, batch):
    exp = load_config(CONFIGS / f"{name}.yaml")  # checks without the data: the dataset describes itself
    data = exp.data.params
    assert exp.data.type == "controllable_3d_objects" and data["sub_dirs"] == sub_dirs and data["nlabels"] == nlabels
    assert (data["load_size"], data["crop_size"]) == (64, 64)
    G, D = exp.models["generator"].params, exp.models["discriminator"].params
    assert (G["n_prim"], G["z_dim"], G["background"], D["num_labels"]) == (3, 128, background, nlabels)
    for opt in exp.optim.values():
        assert (opt.type, opt.lr, opt.alpha, opt.eps) == ("rmsprop", 1e-4, 0.99, 1e-8)
    recipe = ganforge.resolve("strategy", exp.strategy)[1]
    assert (recipe.weight_compactness, recipe.weight_3dconsistency) == (0.03, 0.1)
    assert (exp.train.batch_size, exp.train.r1.gamma, exp.train.r1.interval) == (batch, 20.0, 1)


def test_make_world_writes_the_official_layout_that_reads_back(c3d, tmp_path):
    group = click.Group("ganforge")
    add_commands(group)
    out = tmp_path / "world"
    res = CliRunner().invoke(group, ["controllable-3d", "make-world", str(out), "--scenes", "40", "--resolution", "16",
                                     "--seed", "3", "--background-fraction", "0.25"])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "scenes.json").read_text())
    scenes = doc["scenes"]
    assert doc["world"]["resolution"] == 16 and len(scenes) == 40
    assert Counter(s["split"] for s in scenes) == {"train": 36, "val": 4}
    for s in scenes:
        assert (out / s["file"]).is_file() and s["file"].startswith(f"world{len(s['objects'])}_bg1/{s['split']}/")
    per_count = Counter(len(s["objects"]) for s in scenes if s["split"] == "train")
    sub_dirs = [f"world{k}_bg1" for k in range(4)]
    assert set(per_count) == {0, 1, 2, 3}

    ds = ObjectFolders(ObjectFoldersParams(root=str(out), sub_dirs=sub_dirs, nlabels=2, load_size=16, crop_size=16,
                                           dequantize=False))
    fg = sum(per_count[k] for k in (1, 2, 3))
    assert domains(ds) == {0: max(fg, per_count[0]), 1: max(fg, per_count[0])}
    assert len(ObjectFolders(ObjectFoldersParams(root=str(out), sub_dirs=sub_dirs, nlabels=1))) == fg

    # pixels and ground truth agree with the world itself (8-bit PNG rounding only)
    world = Controllable3DWorld(WorldParams(**doc["world"]))
    first = next(s for s in scenes if s["objects"])
    sample = world[first["index"]]
    entry = next(e for e in ds.entries if e.image == out / first["file"])
    assert (ds.load(entry)["image"] - sample["image"]).abs().max() <= 1 / 127.5 + 1e-6
    assert np.allclose(first["objects"][0]["position"], sample["object_position"][0].numpy())
    assert np.isclose(first["camera"]["u"], sample["camera_u"].item())

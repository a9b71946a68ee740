"""The quickstart's own run (``ganforge demo``, made tiny): sampling from label and
instance maps, a checkpoint naming plugins it does not need, and a diverged checkpoint."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge import registry
from ganforge.cli import main
from ganforge.trainer import list_checkpoints


TINY = ["--set", "data.resolution=32", "--set", "train.batch_size=2", "--set", "train.sample_size=2"]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """`ganforge demo` for three steps at 32 px: SPADE with instance maps, as the quickstart trains it
    (three steps: with SPADE's own init, after one step, G updated first against an
    untrained D, the edge channel moved the 8-bit output by less than one level)."""
    out = tmp_path_factory.mktemp("demo") / "run"
    previous = registry._current
    try:
        main(["demo", "--steps", "3", "--out", str(out), *TINY])  # returns on success, exits on an error
    finally:
        registry._current = previous
    return out


@pytest.fixture
def maps(tmp_path):
    label = np.zeros((32, 32), np.uint8)
    label[4:20, 4:28] = 3
    label[20:, :] = 1
    instance = np.zeros((32, 32), np.uint16)  # 16-bit, as Cityscapes' instance ids
    instance[4:20, 4:16], instance[4:20, 16:28] = 3001, 3002  # two objects of class 3 side by side
    Image.fromarray(label).save(tmp_path / "lab.png")
    Image.fromarray(instance).save(tmp_path / "inst.png")
    return tmp_path / "lab.png", tmp_path / "inst.png"


def test_the_quickstart_run_samples_from_label_and_instance_maps(demo_run, maps, tmp_path, ganforge):
    lab, inst = maps
    code, err = ganforge("sample", demo_run, "--labels", lab, "--out", tmp_path / "a.png")
    assert code == 0, err
    code, err = ganforge("sample", demo_run, "--labels", lab, "--instances", inst, "--out", tmp_path / "b.png")
    assert code == 0, err
    a, b = (np.asarray(Image.open(tmp_path / f"{n}.png")) for n in "ab")
    assert a.shape == b.shape == (2 * 34 + 2, 36, 3)  # the label map above the 32 px image, 2 px padding
    assert (a[:36] == b[:36]).all()  # the same label map, drawn in the fixed palette
    assert np.abs(a[36:].astype(int) - b[36:].astype(int)).sum() > 0  # the boundary between the two objects is used
    code, err = ganforge("sample", demo_run, "--labels", lab, "--labels", lab, "--instances", inst)
    assert code == 2 and "error: --instances: 1 files for 2 --labels files" in err
    code, err = ganforge("sample", demo_run, "--instances", inst)
    assert code == 2 and "error: --instances: give the label maps they belong to with --labels" in err


def test_plugins_a_checkpoint_names_are_never_imported_even_when_not_needed(demo_run, maps, tmp_path, ganforge,
                                                                              attack, monkeypatch):
    run = tmp_path / "dl" / "run"
    shutil.copytree(demo_run, run)
    (tmp_path / "dl" / "helpers.py").write_text(attack)
    monkeypatch.chdir(tmp_path / "dl")
    ckpt = list_checkpoints(run / "checkpoints")[-1]
    state = torch.load(ckpt, weights_only=True)
    state["config"]["plugins"] = ["helpers.py"]
    torch.save(state, ckpt)
    warning = ("warning: run/checkpoints/step_00000003.pt (config): the checkpoint was made with plugins that are "
               "not loaded: helpers.py. ganforge never imports code named inside a checkpoint")
    for args in (["sample", "run", "--n", "1", "--out", "x.png"], ["sample", "run", "--labels", maps[0]],
                 ["eval", "run", "--metrics", "psnr", "--batches", "1"]):
        code, err = ganforge(*args)
        assert code == 0 and warning in err, (args, err)
        assert not Path("pwned").exists(), args
    code, err = ganforge("demo", "--steps", "4", "--out", "run", "--resume", *TINY)
    assert code == 0, err
    assert not Path("pwned").exists()


def test_a_diverged_checkpoint_is_refused(demo_run, maps, tmp_path, ganforge):
    run = tmp_path / "run"
    shutil.copytree(demo_run, run)
    ckpt = list_checkpoints(run / "checkpoints")[-1]
    state = torch.load(ckpt, weights_only=True)
    name = next(k for k in state["models"]["generator"] if k.endswith("running_var"))
    state["models"]["generator"][name].fill_(float("inf"))  # BatchNorm statistics overflowed (lr 1e9)
    torch.save(state, ckpt)
    expected = f"error: {ckpt}: 1 tensor (models.generator.{name}) holds NaN or Inf: the run had diverged"
    for args in (["sample", run], ["sample", run, "--labels", maps[0]], ["eval", run, "--metrics", "psnr"],
                 ["demo", "--steps", "2", "--out", run, "--resume", *TINY]):
        code, err = ganforge(*args)
        assert code == 2 and err.startswith(expected), (args, err)

"""The report answers at a glance: named sample rows (captioned, label maps coloured),
metadata on top, the config folded, curves by group with working smoothing and log-scale
controls. Checked by parsing here; browser_tests/ renders the same page in headless
Chromium (`make test-browser`, not part of `make test`)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge import Condition
from ganforge.report import render
from ganforge.report.rows import PALETTE, conditional_rows, picture, row_names, save_rows
from ganforge.trainer import train

try:  # the trainer tests' HTML checker and report folder
    from report_folder import write_report_folder
    from test_report import Collect
except ImportError:  # pragma: no cover - run from another folder
    from .report_folder import write_report_folder
    from .test_report import Collect


def test_palette_is_fixed_and_ids_are_coloured():
    assert PALETTE[0].tolist() == [0, 0, 0] and PALETTE[1].tolist() == [128, 0, 0] and PALETTE[2].tolist() == [0, 128, 0]
    assert len({tuple(c) for c in PALETTE.tolist()}) == 256
    ids = torch.tensor([[[0, 1], [2, 1]]])
    rgb = picture(ids)
    assert rgb.shape == (1, 3, 2, 2)
    assert torch.equal(((rgb[0, :, 0, 1] + 1) * 127.5).round(), torch.tensor([128.0, 0, 0]))
    one_hot = torch.nn.functional.one_hot(ids, 5).permute(0, 3, 1, 2).float()  # more channels than RGB
    assert torch.equal(picture(one_hot), rgb)  # one-hot maps are coloured like their ids
    assert picture(torch.zeros(1, 1, 2, 2)).shape == (1, 3, 2, 2)


def test_named_rows_are_saved_with_their_names(tmp_path):
    cond = Condition(label=torch.tensor([[[0, 1], [1, 2]]] * 3))
    rows = conditional_rows(cond, torch.ones(3, 3, 4, 4), -torch.ones(3, 3, 4, 4))
    path, names = save_rows(rows, tmp_path / "step_00000002.png")
    assert names == ["label map", "generated", "real"] == row_names(path)
    with Image.open(path) as im:
        grid = np.asarray(im)
    assert grid.shape == (3 * 6 + 2, 3 * 6 + 2, 3)  # 3 rows x 3 columns of 4 px tiles (the 2x2 map resized)
    assert grid[2:6, 2:6].tolist() == [[[0, 0, 0]] * 2 + [[128, 0, 0]] * 2] * 2 + [[[128, 0, 0]] * 2 + [[0, 128, 0]] * 2] * 2
    assert (grid[8:12, 2:6] == 255).all() and (grid[14:18, 2:6] == 0).all()  # generated white, real black
    with pytest.raises(ValueError, match="differ in batch size"):
        save_rows({"a": torch.zeros(2, 3, 4, 4), "b": torch.zeros(3, 3, 4, 4)}, tmp_path / "x.png")


@pytest.fixture
def report_dir(tmp_path):
    """A run folder as the trainer leaves it, with named rows and every group of scalars."""
    return write_report_folder(tmp_path / "spade_demo")


def test_report_reads_top_to_bottom(report_dir):
    html = (report_dir / "index.html").read_text()
    parser = Collect()
    parser.feed(html)
    parser.close()
    assert parser.stack == []
    text = " ".join(t.strip() for t in parser.text if t.strip())
    # what ran, before anything else
    assert text.index("wall time 10 s") < text.index("Samples") < text.index("Curves")
    for fact in ("speed 2 it/s", "git commit f181d3b1a2c3", "device cpu: x86_64, 2 threads (1 process)",
                 "torch 2.14.1", "plugins loaded spade 0.1.0", "generator 123,456, discriminator 2,000", "command ganforge demo"):
        assert fact in text
    assert "<details><summary>Resolved config</summary><pre>strategy:" in html
    # what went in and came out: the newest grid open, captioned row by row
    assert parser.images[0] == "samples/step_00000020.png"
    assert "step 20: rows label map, generated, real" in text
    assert '<div class="rownames" style="grid-template-rows:repeat(3,1fr)"><span>label map</span>' in html
    # is it learning: one section per group, controls for smoothing and log scale
    assert [h for h in ("losses", "D outputs", "regularisers", "metrics") if f"<h3>{h}</h3>" in html] == [
        "losses", "D outputs", "regularisers", "metrics"]
    assert 'id="smoothing"' in html and 'id="logscale"' in html and 'data-smooth="1"' in html
    assert html.count('class="lin"') == html.count('class="log"') == 4  # losses, D outputs, regularisers, fid
    assert "fid_std" not in html.split("<h3>metrics</h3>")[1].split("</section>")[0]  # a spread, not a curve


def test_one_logged_point_is_a_dot_not_an_empty_plot(tmp_path):
    (tmp_path / "metrics.jsonl").write_text(json.dumps({"kind": "eval", "step": 5, "time": 1, "psnr": 20.0}) + "\n")
    html = render(tmp_path)
    assert html.count("<circle") == 2 and "no data" not in html  # linear and log


def test_trainer_default_rows_name_the_label_map(make_exp, config_tree, tmp_path, monkeypatch):
    """A recipe without ganforge_sample: the trainer shows label map | generated | real."""
    import tiny_plugin

    monkeypatch.delattr(tiny_plugin.TinyRecipe, "ganforge_sample")
    train(make_exp(steps=1, sample_every=0, checkpoint_every=0), tmp_path / "run", show_progress=False)
    names = row_names(tmp_path / "run" / "samples" / "step_00000001.png")
    assert names == ["label map", "generated", "real"]

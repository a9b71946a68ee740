"""The report answers at a glance: named sample rows (captioned, label maps coloured),
metadata on top, the config folded, curves by group with working smoothing and log-scale
controls. Checked by parsing, and in headless Chromium when it is installed."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge import Condition
from ganforge.report import render, write_report
from ganforge.report.rows import PALETTE, conditional_rows, picture, row_names, save_rows
from ganforge.trainer import train

try:  # the trainer tests' HTML checker
    from test_report import Collect
except ImportError:  # pragma: no cover - run from another folder
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
    run = tmp_path / "spade_demo"
    (run / "samples").mkdir(parents=True)
    cond = Condition(label=torch.randint(0, 8, (4, 16, 16)))
    for step in (0, 20):
        save_rows(conditional_rows(cond, torch.rand(4, 3, 16, 16) * 2 - 1, torch.rand(4, 3, 16, 16) * 2 - 1),
                  run / "samples" / f"step_{step:08d}.png")
    records = [{"kind": "train", "step": s, "time": s * 0.5, "d_loss": 2 - s / 20, "g_loss": 5 + s / 10,
                "g_feat": 1.0 / s, "d_real": 0.5, "d_fake": -0.5, "r1": 0.01 * s, "kld": 0.1} for s in range(1, 21)]
    records.append({"kind": "eval", "step": 20, "time": 10.0, "fid": 41.5, "fid_std": 1.25})
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (run / "config.yaml").write_text("strategy:\n  type: paired_conditional\n")
    (run / "run.json").write_text(json.dumps({
        "started": "2026-12-07T06:00:00+00:00", "start_step": 0, "command": "ganforge demo",
        "versions": {"ganforge": "0.1.0", "torch": "2.14.1", "python": "3.11.2"}, "plugins": {"spade": "0.1.0"},
        "git_commit": "f181d3b1a2c3", "device": "cpu: x86_64, 2 threads", "processes": 1,
        "parameters": {"generator": {"total": 123456, "trainable": 123456},
                       "discriminator": {"total": 2000, "trainable": 2000}}}))
    write_report(run)
    return run


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


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
PROBE = """<script>window.addEventListener('load', () => {
  const shown = el => getComputedStyle(el).display !== 'none';
  const rows = [...document.querySelectorAll('.rownames span')].slice(0, 3).map(s => s.getBoundingClientRect().height);
  const img = document.images[0];
  const report = {img: [img.naturalWidth, img.getBoundingClientRect().height], rows,
    lin: shown(document.querySelector('svg.lin')), log: shown(document.querySelector('svg.log')),
    smooth1: shown(document.querySelector('polyline.s1')), smooth0: shown(document.querySelector('polyline.s0'))};
  document.getElementById('logscale').click();
  const sel = document.getElementById('smoothing'); sel.value = '0'; sel.dispatchEvent(new Event('change'));
  Object.assign(report, {lin_after: shown(document.querySelector('svg.lin')),
    log_after: shown(document.querySelector('svg.log')), smooth0_after: shown(document.querySelector('polyline.s0')),
    raw_after: shown(document.querySelector('polyline.raw'))});
  document.body.setAttribute('data-probe', JSON.stringify(report));
});</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="needs a Chromium binary (Debian: apt-get install chromium)")
def test_report_renders_in_headless_chromium(report_dir):
    probe = report_dir / "probe.html"
    probe.write_text((report_dir / "index.html").read_text().replace("</body>", PROBE + "</body>"))
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                          "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    report = json.loads(dom.split("data-probe=\"")[1].split("\"")[0].replace("&quot;", '"'))
    width, height = report["img"]
    assert width == 4 * 18 + 2  # the PNG loaded: 4 columns of 16 px tiles
    assert all(abs(h - height / 3) < height / 6 for h in report["rows"])  # one caption per row, aligned
    assert report["lin"] and not report["log"] and report["smooth1"] and not report["smooth0"]  # defaults
    assert report["log_after"] and not report["lin_after"] and report["smooth0_after"] and not report["raw_after"]


def test_trainer_default_rows_name_the_label_map(make_exp, config_tree, tmp_path, monkeypatch):
    """A recipe without ganforge_sample: the trainer shows label map | generated | real."""
    import tiny_plugin

    monkeypatch.delattr(tiny_plugin.TinyRecipe, "ganforge_sample")
    train(make_exp(steps=1, sample_every=0, checkpoint_every=0), tmp_path / "run", show_progress=False)
    names = row_names(tmp_path / "run" / "samples" / "step_00000001.png")
    assert names == ["label map", "generated", "real"]

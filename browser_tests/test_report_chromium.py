"""The report as a browser shows it: the newest sample grid loads, each caption sits beside
its row, and the smoothing and log-scale controls switch the curves (headless Chromium)."""

from __future__ import annotations

import json
import subprocess

import numpy as np
from PIL import Image
from report_folder import write_report_folder

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


def test_report_renders_in_headless_chromium(chromium, tmp_path):
    run = write_report_folder(tmp_path / "spade_demo")
    probe = run / "probe.html"
    probe.write_text((run / "index.html").read_text().replace("</body>", PROBE + "</body>"))
    result = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                             "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                            capture_output=True, text=True, timeout=120)
    assert 'data-probe="' in result.stdout, f"{chromium} ran no probe (exit {result.returncode}): {result.stderr[-2000:]}"
    report = json.loads(result.stdout.split('data-probe="')[1].split('"')[0].replace("&quot;", '"'))
    width, height = report["img"]
    assert width == 4 * 18 + 2  # the PNG loaded: 4 columns of 16 px tiles
    assert all(abs(h - height / 3) < height / 6 for h in report["rows"])  # one caption per row, aligned
    assert report["lin"] and not report["log"] and report["smooth1"] and not report["smooth0"]  # defaults
    assert report["log_after"] and not report["lin_after"] and report["smooth0_after"] and not report["raw_after"]


def test_a_real_screenshot_has_the_grid_and_the_curves(chromium, tmp_path):
    """--screenshot (how docs/assets/demo_report.png is made) writes a page-sized PNG that is not blank."""
    run = write_report_folder(tmp_path / "spade_demo")
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                    "--hide-scrollbars", f"--screenshot={shot}", "--window-size=900,1200",
                    (run / "index.html").as_uri()], capture_output=True, text=True, timeout=120)
    with Image.open(shot) as im:
        pixels = np.asarray(im.convert("RGB"))
    assert pixels.shape == (1200, 900, 3)
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50  # palette tiles, noise images, curves: not a blank page

"""The run report: sample grids, SVG curves, an index.html a browser can render."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.report import line_plot, render, to_uint8_grid
from ganforge.report.svg import nice_ticks
from ganforge.trainer import train


class Collect(HTMLParser):
    """Tags, img sources and text of a page; fails on unbalanced elements."""

    VOID = {"meta", "img", "br", "rect", "line", "polyline", "link", "circle", "input"}

    def __init__(self):
        super().__init__()
        self.stack, self.tags, self.images, self.text = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_grid_layout_and_values():
    images = torch.stack([torch.full((3, 2, 2), -1.0), torch.full((3, 2, 2), 1.0), torch.zeros(3, 2, 2)])
    grid = to_uint8_grid(images, columns=2, pad=1)
    assert grid.shape == (2 * 3 + 1, 2 * 3 + 1, 3)
    assert (grid[1:3, 1:3] == 0).all() and (grid[1:3, 4:6] == 255).all() and (grid[4:6, 1:3] == 128).all()
    assert (grid[0] == 255).all() and (grid[4:6, 4:6] == 255).all()  # padding and the empty cell
    grey = to_uint8_grid(torch.full((1, 1, 2, 2), 1.0), 1, pad=0)
    assert grey.shape == (2, 2, 3) and (grey == 255).all()
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        to_uint8_grid(torch.zeros(3, 2, 2), 1)


def test_svg_plot_maps_points_into_the_frame():
    assert nice_ticks(0, 10, 5) == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(0.013, 0.047, 4) == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.05])
    svg = line_plot({"g_loss": [(0, 1.0), (10, 3.0), (20, float("nan"))], "d_loss": [(0, 2.0)]}, "losses")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    parser = Collect()
    parser.feed(svg)
    assert parser.tags.count("polyline") == 1 and parser.tags.count("circle") == 1  # one point: a dot
    assert "g_loss" in parser.text and "d_loss" in parser.text
    points = svg.split('points="')[1].split('"')[0].split()
    assert len(points) == 2  # the NaN point is dropped
    (x0, y0), (x1, y1) = [tuple(map(float, p.split(","))) for p in points]
    assert x0 < x1 and y1 < y0  # later step to the right, higher loss drawn higher
    assert "no data" in line_plot({}, "empty")


def test_run_report_renders_with_existing_images(make_exp, tmp_path):
    train(make_exp(steps=6, eval_every=3), tmp_path / "run", show_progress=False)
    html = (tmp_path / "run" / "index.html").read_text()
    assert html == render(tmp_path / "run")
    parser = Collect()
    parser.feed(html)
    parser.close()
    assert parser.stack == [] and html.startswith("<!DOCTYPE html>")
    assert parser.images == ["samples/step_00000006.png", "samples/step_00000003.png", "samples/step_00000000.png"]
    for src in parser.images:
        with Image.open(tmp_path / "run" / src) as im:
            assert im.format == "PNG" and im.size == (4 * 10 + 2, 2 * 10 + 2)  # 4 columns (real / fake rows)
            assert np.asarray(im).std() > 0
    assert parser.tags.count("svg") == 2 * 2  # losses (d, g, l1), D outputs (d_real): linear and log each
    text = "".join(parser.text)
    assert "6 steps logged, 3 sample grids." in text and "tiny_recipe" in text


def test_report_shows_evaluation_numbers(tmp_path):
    (tmp_path / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {"kind": "train", "step": 1, "time": 0, "d_loss": 1.0, "g_loss": 2.0},
        {"kind": "eval", "step": 1, "time": 0, "fid": 30.5},
        {"kind": "eval", "step": 2, "time": 0, "fid": 20.25}]) + "\n{torn")
    parser = Collect()
    parser.feed(render(tmp_path))
    text = "".join(parser.text)
    assert "metrics" in text and "fid" in text and "20.25" in text

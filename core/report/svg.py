"""Line plots as inline SVG, drawn without a plotting library."""

from __future__ import annotations

import math
from html import escape
from typing import Sequence

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values from at most ``lo`` to at least ``hi`` (1, 2, 5 x 10^k steps)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [round(i * step, 12) for i in range(first, last + 1)]


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def smooth(points: Sequence[tuple[float, float]], weight: float) -> list[tuple[float, float]]:
    """TensorBoard's smoothing: an exponential moving average of y, debiased at the start
    (so the first points are not pulled towards zero). ``weight`` 0 returns the points."""
    if weight <= 0:
        return list(points)
    out, last, norm = [], 0.0, 0.0
    for x, y in points:
        last = last * weight + (1 - weight) * y
        norm = norm * weight + (1 - weight)
        out.append((x, last / norm))
    return out


def line_plot(series: dict[str, Sequence[tuple[float, float]]], title: str, width: int = 520,
              height: int = 260, xlabel: str = "step", log: bool = False,
              smoothing: Sequence[float] = (0.0,)) -> str:
    """An ``<svg>`` with one polyline per series of (x, y) points, axes, ticks and a legend.
    Non-finite points are left out (a NaN must not break the whole plot); a series of one
    point is a dot. ``log``: log10 y axis (points <= 0 are left out, and counted in the
    title). ``smoothing``: one polyline per weight (class ``s0``, ``s1`` ... for the page's
    control to show one), over a faint raw line (class ``raw``) when any weight is > 0."""
    clean = {k: [(x, y) for x, y in pts if math.isfinite(x) and math.isfinite(y)] for k, pts in series.items()}
    dropped = 0
    if log:
        dropped = sum(1 for pts in clean.values() for _, y in pts if y <= 0)
        clean = {k: [(x, math.log10(y)) for x, y in pts if y > 0] for k, pts in clean.items()}
        title = f"{title} (log, {dropped} points <= 0 not shown)" if dropped else f"{title} (log)"
    clean = {k: v for k, v in clean.items() if v}
    left, right, top, bottom = 56, 12, 28, 36
    pw, ph = width - left - right, height - top - bottom
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'class="{"log" if log else "lin"}">',
             f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14">{escape(title)}</text>']
    if not clean:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="#888">no data</text></svg>')
        return "".join(parts)
    xs = [x for pts in clean.values() for x, _ in pts]
    ys = [y for pts in clean.values() for _, y in pts]
    xt, yt = nice_ticks(min(xs), max(xs)), nice_ticks(min(ys), max(ys))
    x0, x1 = min(xt[0], min(xs)), max(xt[-1], max(xs))
    y0, y1 = min(yt[0], min(ys)), max(yt[-1], max(ys))
    sx = (lambda x: left + (x - x0) / (x1 - x0) * pw) if x1 > x0 else (lambda x: left + pw / 2)
    sy = (lambda y: top + ph - (y - y0) / (y1 - y0) * ph) if y1 > y0 else (lambda y: top + ph / 2)
    ylabel = (lambda t: _fmt(10 ** t)) if log else _fmt
    parts.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>')
    for t in xt:
        parts.append(f'<line x1="{sx(t):.1f}" y1="{top + ph}" x2="{sx(t):.1f}" y2="{top + ph + 4}" stroke="#999"/>'
                     f'<text x="{sx(t):.1f}" y="{top + ph + 16}" text-anchor="middle" font-size="10">{_fmt(t)}</text>')
    for t in yt:
        parts.append(f'<line x1="{left}" y1="{sy(t):.1f}" x2="{left + pw}" y2="{sy(t):.1f}" stroke="#eee"/>'
                     f'<text x="{left - 6}" y="{sy(t) + 3:.1f}" text-anchor="end" font-size="10">{ylabel(t)}</text>')
    parts.append(f'<text x="{left + pw / 2}" y="{height - 4}" text-anchor="middle" font-size="11">{escape(xlabel)}</text>')
    smoothed = any(w > 0 for w in smoothing)
    for i, (name, pts) in enumerate(clean.items()):
        color = PALETTE[i % len(PALETTE)]
        if len(pts) == 1:
            parts.append(f'<circle cx="{sx(pts[0][0]):.1f}" cy="{sy(pts[0][1]):.1f}" r="3" fill="{color}">'
                         f'<title>{escape(name)}</title></circle>')
        else:
            if smoothed:
                parts.append(f'<polyline class="raw" fill="none" stroke="{color}" stroke-opacity="0.25" '
                             f'stroke-width="1" points="{_coords(pts, sx, sy)}"/>')
            for level, weight in enumerate(smoothing):
                # smoothing happens in the plotted (log or linear) space, as TensorBoard does
                parts.append(f'<polyline class="s{level}" fill="none" stroke="{color}" stroke-width="1.5" '
                             f'points="{_coords(smooth(pts, weight), sx, sy)}"><title>{escape(name)}</title></polyline>')
        ly = top + 12 + 14 * i
        parts.append(f'<rect x="{left + pw - 110}" y="{ly - 8}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{left + pw - 96}" y="{ly + 1}" font-size="11">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _coords(pts: Sequence[tuple[float, float]], sx, sy) -> str:
    return " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)

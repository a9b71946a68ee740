"""The curves of a page (the run report, ``ganforge compare``): sections by scalar group,
a smoothing control and a log-scale switch.

Every plot is drawn server-side twice (linear and log y) with one polyline per smoothing
level; the controls only switch CSS classes on ``<body>``, so the page stays a single
self-contained file that renders without a server and reads the same in any browser.
"""

from __future__ import annotations

from html import escape
from typing import Iterable, Sequence

from .groups import GROUPS
from .svg import line_plot

Points = Sequence[tuple[float, float]]
SMOOTHING = (0.0, 0.6, 0.9, 0.97)
DEFAULT_LEVEL = 1
PER_PLOT = 6  # series overlaid in one plot before a group takes another

_HIDE_LEVELS = "".join(
    f"body[data-smooth=\"{i}\"] polyline.s{j}{{display:none}}" for i in range(len(SMOOTHING))
    for j in range(len(SMOOTHING)) if i != j)
CSS = ("svg.log{display:none}body.log svg.log{display:inline}body.log svg.lin{display:none}"
       'body[data-smooth="0"] polyline.raw{display:none}' + _HIDE_LEVELS +
       ".controls{position:sticky;top:0;background:#fff;padding:.4em 0;border-bottom:1px solid #eee;z-index:1}"
       ".controls label{margin-right:1.5em}")


def body_attributes() -> str:
    """The ``<body>`` attributes that select the default smoothing."""
    return f'data-smooth="{DEFAULT_LEVEL}"'


def controls() -> str:
    """The smoothing select and the log-scale checkbox (a line of script each)."""
    options = "".join(f'<option value="{i}"{" selected" if i == DEFAULT_LEVEL else ""}>{w:g}</option>'
                      for i, w in enumerate(SMOOTHING))
    return ('<div class="controls"><label>smoothing <select id="smoothing" '
            'onchange="document.body.dataset.smooth=this.value">' + options + '</select></label>'
            '<label><input type="checkbox" id="logscale" '
            "onchange=\"document.body.classList.toggle('log',this.checked)\"> log scale</label></div>")


def figure(series: dict[str, Points], title: str) -> str:
    """One plot, linear and log, every smoothing level."""
    return "".join(line_plot(series, title, log=log, smoothing=SMOOTHING) for log in (False, True))


def sections(plots: Iterable[tuple[str, str, dict[str, Points]]]) -> str:
    """``(group, title, series)`` plots as one ``<section>`` per group, in `GROUPS` order
    (a group of its own after them)."""
    by_group: dict[str, list[str]] = {}
    for group, title, series in plots:
        by_group.setdefault(group, []).append(figure(series, title))
    order = [g for g in GROUPS if g in by_group] + sorted(g for g in by_group if g not in GROUPS)
    return "".join(f'<section class="group"><h3>{escape(g)}</h3><div class="plots">{"".join(by_group[g])}</div>'
                   "</section>" for g in order)


def chunks(names: Sequence[str], size: int = PER_PLOT) -> list[list[str]]:
    return [list(names[i:i + size]) for i in range(0, len(names), size)]

"""The run report: one self-contained ``index.html`` per run folder.

It reads what the trainer wrote (run.json, metrics.jsonl, samples/step_*.png with their
row names, config.yaml) and answers, top to bottom: what ran (versions, commit, device,
speed, parameter counts, the resolved config folded), what came out (the newest sample
grid with its rows named: input, output, target), and whether it is learning (curves by
group with a smoothing control and a log scale, the evaluation numbers). Regenerated
whenever new samples are written, so it can be opened while a run is going.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from typing import Any

from PIL import Image

from . import metadata, plots
from .groups import group_of
from .rows import row_names

SAMPLE = re.compile(r"^step_(\d+)\.png$")
MAIN_LOSSES = ("d_loss", "g_loss")
NEWEST_SHOWN = 1  # grids shown open; older ones are folded
DISPLAY_WIDTH = 560  # px: a grid narrower than this is shown enlarged by an integer factor

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
h3{font-size:1em;color:#444;margin:.8em 0 .3em}
.plots{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0 0 1.2em}figcaption{color:#555;font-size:.9em}
img{max-width:100%;image-rendering:pixelated;border:1px solid #ddd}table{border-collapse:collapse}
td,th{padding:2px 10px;border-bottom:1px solid #eee;text-align:left}pre{background:#f6f8fa;padding:1em;overflow:auto}
.grid{display:flex;align-items:stretch;gap:8px}.rownames{display:grid;font-size:.85em;color:#333;text-align:right}
.rownames span{display:flex;align-items:center;justify-content:flex-end;white-space:nowrap}
.grid img{flex:0 1 auto;min-width:0}.meta td:first-child{color:#555}details{margin:.6em 0}
"""


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """The records of metrics.jsonl, skipping a torn last line."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def series_by_key(records: list[dict[str, Any]], kind: str) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {}
    for r in records:
        if r.get("kind") != kind:
            continue
        for k, v in r.items():
            if k not in ("kind", "step", "time") and isinstance(v, (int, float)):
                out.setdefault(k, []).append((float(r["step"]), float(v)))
    return out


def sample_files(run_dir: Path) -> list[tuple[int, Path]]:
    folder = run_dir / "samples"
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := SAMPLE.match(p.name))]
    return sorted(found, reverse=True)


def _plots(records: list[dict[str, Any]]) -> str:
    """Training scalars overlaid by group (d_loss and g_loss first), each metric alone."""
    out = []
    train = series_by_key(records, "train")
    by_group: dict[str, list[str]] = {}
    for name in sorted(train, key=lambda n: (n not in MAIN_LOSSES, MAIN_LOSSES.index(n) if n in MAIN_LOSSES else 0)):
        by_group.setdefault(group_of(name, "train"), []).append(name)
    for group, names in by_group.items():
        for i, chunk in enumerate(plots.chunks(names)):
            title = group if len(names) <= plots.PER_PLOT else f"{group} ({i + 1})"
            out.append((group, title, {n: train[n] for n in chunk}))
    for name, pts in series_by_key(records, "eval").items():
        if not name.endswith("_std"):
            out.append((group_of(name, "eval"), name, {name: pts}))
    return plots.sections(out) if out else "<p>nothing logged yet</p>"


def _last_values(records: list[dict[str, Any]]) -> str:
    last: dict[str, tuple[int, float]] = {}
    for r in records:
        for k, v in r.items():
            if k not in ("kind", "step", "time") and isinstance(v, (int, float)):
                last[k] = (r["step"], v)
    if not last:
        return ""
    rows = "".join(f"<tr><td>{escape(k)}</td><td>{v:.4g}</td><td>{s}</td></tr>" for k, (s, v) in last.items())
    return ("<details><summary>Latest values</summary><table><tr><th>name</th><th>value</th><th>step</th></tr>"
            f"{rows}</table></details>")


def _metadata(run_dir: Path, records: list[dict[str, Any]]) -> str:
    meta, pace = metadata.read(run_dir), metadata.speed(records)
    rows: list[tuple[str, str]] = []
    if "wall_time_s" in pace:
        rows.append(("wall time", f"{pace['wall_time_s']:.0f} s"))
    if "it_per_s" in pace:
        rows.append(("speed", f"{pace['it_per_s']:.3g} it/s"))
    if meta:
        rows += [("device", f"{meta['device']} ({meta['processes']} process{'es' if meta['processes'] > 1 else ''})"),
                 ("started", f"{meta['started']} at step {meta['start_step']}"),
                 ("command", meta["command"]),
                 ("git commit", meta.get("git_commit") or "not a git checkout"),
                 ("versions", ", ".join(f"{k} {v}" for k, v in meta["versions"].items())),
                 *([("plugins loaded", ", ".join(f"{k} {v}" for k, v in meta["plugins"].items()))]
                   if meta.get("plugins") else []),
                 ("parameters", ", ".join(f"{role} {c['total']:,}" + (f" ({c['trainable']:,} trainable)"
                                          if c["trainable"] != c["total"] else "")
                                          for role, c in meta["parameters"].items()))]
    if not rows:
        return ""
    return '<table class="meta">' + "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in rows) \
        + "</table>"


def _display_width(png: Path) -> str:
    """A ``width`` attribute that shows small grids (32 px tiles) at an integer zoom,
    pixels kept sharp, about as wide as the page's plots."""
    try:
        with Image.open(png) as im:
            width = im.width
    except OSError:
        return ""
    return f' width="{width * max(1, DISPLAY_WIDTH // width)}"'


def _grid(step: int, png: Path) -> str:
    names = row_names(png)
    caption = f"step {step}" + (f": rows {', '.join(names)}" if names else "")
    img = (f'<img src="samples/{png.name}"{_display_width(png)} alt="samples at step {step}: '
           f'{escape(", ".join(names))}" loading="lazy">')
    if names:
        labels = "".join(f"<span>{escape(n)}</span>" for n in names)
        img = (f'<div class="grid"><div class="rownames" style="grid-template-rows:repeat({len(names)},1fr)">'
               f"{labels}</div>{img}</div>")
    return f"<figure>{img}<figcaption>{escape(caption)}</figcaption></figure>"


def _samples(samples: list[tuple[int, Path]]) -> str:
    if not samples:
        return ""
    newest = "".join(_grid(s, p) for s, p in samples[:NEWEST_SHOWN])
    older = "".join(_grid(s, p) for s, p in samples[NEWEST_SHOWN:])
    return (f"<h2>Samples</h2>{newest}"
            + (f"<details><summary>Earlier grids ({len(samples) - NEWEST_SHOWN})</summary>{older}</details>"
               if older else ""))


def render(run_dir: str | Path, title: str | None = None) -> str:
    """The report's HTML for ``run_dir``."""
    run_dir = Path(run_dir)
    records = read_metrics(run_dir / "metrics.jsonl")
    samples = sample_files(run_dir)
    steps = max((r.get("step", 0) for r in records), default=0)
    title = title or run_dir.name
    config = run_dir / "config.yaml"
    config_html = (f"<details><summary>Resolved config</summary><pre>{escape(config.read_text())}</pre></details>"
                   if config.exists() else "")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{escape(title)}</title>"
        f"<style>{STYLE}{plots.CSS}</style></head><body {plots.body_attributes()}>"
        f"<h1>{escape(title)}</h1><p>{steps} steps logged, {len(samples)} sample grids.</p>"
        + _metadata(run_dir, records) + config_html
        + _samples(samples)
        + "<h2>Curves</h2>" + plots.controls() + _plots(records)
        + _last_values(records)
        + "</body></html>\n"
    )


def write_report(run_dir: str | Path, title: str | None = None) -> Path:
    """Write ``index.html`` into the run folder atomically; returns its path."""
    from ganforge.files import atomic_write

    path = Path(run_dir) / "index.html"
    text = render(run_dir, title).encode("utf-8")
    atomic_write(path, lambda f: f.write(text))
    return path

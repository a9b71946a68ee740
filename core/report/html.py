"""The run report: one self-contained ``index.html`` per run folder.

It reads what the trainer wrote (metrics.jsonl, samples/step_*.png, config.yaml) and
shows the loss curves as inline SVG, the evaluation numbers, and the sample grids over
the steps, newest first. Regenerated whenever new samples are written, so it can be
opened while a run is going.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from typing import Any

from .svg import line_plot

SAMPLE = re.compile(r"^step_(\d+)\.png$")
MAIN_LOSSES = ("d_loss", "g_loss")

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
.plots{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0 0 1.2em}figcaption{color:#555;font-size:.9em}
img{max-width:100%;image-rendering:pixelated;border:1px solid #ddd}table{border-collapse:collapse}
td,th{padding:2px 10px;border-bottom:1px solid #eee;text-align:left}pre{background:#f6f8fa;padding:1em;overflow:auto}
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


def _plots(series: dict[str, list[tuple[float, float]]], title: str) -> str:
    if not series:
        return ""
    blocks = []
    main = {k: series[k] for k in MAIN_LOSSES if k in series}
    if main:
        blocks.append(line_plot(main, "losses"))
    blocks += [line_plot({k: v}, k) for k, v in series.items() if k not in main]
    return f"<h2>{escape(title)}</h2><div class=\"plots\">{''.join(blocks)}</div>"


def _last_values(records: list[dict[str, Any]]) -> str:
    last: dict[str, tuple[int, float]] = {}
    for r in records:
        for k, v in r.items():
            if k not in ("kind", "step", "time") and isinstance(v, (int, float)):
                last[k] = (r["step"], v)
    if not last:
        return ""
    rows = "".join(f"<tr><td>{escape(k)}</td><td>{v:.4g}</td><td>{s}</td></tr>" for k, (s, v) in last.items())
    return f"<h2>Latest values</h2><table><tr><th>name</th><th>value</th><th>step</th></tr>{rows}</table>"


def render(run_dir: str | Path, title: str | None = None) -> str:
    """The report's HTML for ``run_dir``."""
    run_dir = Path(run_dir)
    records = read_metrics(run_dir / "metrics.jsonl")
    samples = sample_files(run_dir)
    steps = max((r.get("step", 0) for r in records), default=0)
    title = title or run_dir.name
    figures = "".join(
        f'<figure><img src="samples/{p.name}" alt="samples at step {s}" loading="lazy">'
        f"<figcaption>step {s}</figcaption></figure>" for s, p in samples)
    config = run_dir / "config.yaml"
    config_html = f"<h2>Config</h2><pre>{escape(config.read_text())}</pre>" if config.exists() else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>{steps} steps logged, {len(samples)} sample grids.</p>"
        + _plots(series_by_key(records, "train"), "Training curves")
        + _plots(series_by_key(records, "eval"), "Evaluation")
        + _last_values(records)
        + (f"<h2>Samples</h2>{figures}" if figures else "")
        + config_html
        + "</body></html>\n"
    )


def write_report(run_dir: str | Path, title: str | None = None) -> Path:
    """Write ``index.html`` into the run folder atomically; returns its path."""
    from ganforge.files import atomic_write

    path = Path(run_dir) / "index.html"
    text = render(run_dir, title).encode("utf-8")
    atomic_write(path, lambda f: f.write(text))
    return path

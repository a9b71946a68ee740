"""``ganforge compare RUN_A RUN_B ...``: runs side by side.

Each run's metrics.jsonl gives the evaluation numbers at the steps every run evaluated
and the training scalars at the last step all runs reached (a mean over the last logged
windows, so one noisy step does not decide); one HTML page overlays every curve of every
run, grouped and controlled like the run report. On request, fresh metrics are computed
for each run's latest checkpoint on the same evaluation batches (``ganforge eval``'s code).
"""

from __future__ import annotations

import dataclasses
import json
from html import escape
from pathlib import Path
from typing import Any, Sequence

import yaml

from .errors import DataError
from .report.groups import group_of
from .report.html import STYLE, read_metrics, series_by_key
from .report import plots

TRAIN_WINDOW = 5  # logged values averaged for the training table


@dataclasses.dataclass
class RunLog:
    label: str
    path: Path
    records: list[dict[str, Any]]

    def series(self, kind: str) -> dict[str, list[tuple[float, float]]]:
        return series_by_key(self.records, kind)

    def data_config(self) -> Any:
        config = self.path / "config.yaml"
        return yaml.safe_load(config.read_text()).get("data") if config.exists() else None


def load_runs(paths: Sequence[str | Path]) -> list[RunLog]:
    """The runs' logs, labelled by folder name (with the parent's when two names clash)."""
    if len(paths) < 2:
        raise DataError("compare needs at least two run folders")
    runs = []
    for p in map(Path, paths):
        if not (p / "metrics.jsonl").is_file():
            raise DataError(f"{p}: no metrics.jsonl; give run folders (the --out of `ganforge train`)")
        runs.append(RunLog(p.name, p, read_metrics(p / "metrics.jsonl")))
    names = [r.label for r in runs]
    for r in runs:
        if names.count(r.label) > 1:
            r.label = f"{r.path.parent.name}/{r.path.name}"
    return runs


def eval_table(runs: list[RunLog]) -> tuple[list[str], list[list[Any]]]:
    """Rows ``[step, metric, value per run]`` at the evaluation steps common to every run."""
    per_run = [r.series("eval") for r in runs]
    names = sorted({n for s in per_run for n in s})
    steps = sorted(set.intersection(*({x for pts in s.values() for x, _ in pts} for s in per_run))) if names else []
    rows = []
    for step in steps:
        for name in names:
            values = [dict(s.get(name, [])).get(step) for s in per_run]
            if any(v is not None for v in values):
                rows.append([int(step), name, *values])
    return ["step", "metric", *[r.label for r in runs]], rows


def train_table(runs: list[RunLog], window: int = TRAIN_WINDOW) -> tuple[int | None, list[str], list[list[Any]]]:
    """The last step every run logged, and per training scalar the mean of each run's last
    ``window`` logged values up to that step."""
    per_run = [r.series("train") for r in runs]
    lasts = [max((x for pts in s.values() for x, _ in pts), default=None) for s in per_run]
    if any(last is None for last in lasts):
        return None, [], []
    step = min(lasts)
    names = [n for n in dict.fromkeys(n for s in per_run for n in s)]
    rows = []
    for name in names:
        values = []
        for s in per_run:
            pts = [y for x, y in s.get(name, []) if x <= step][-window:]
            values.append(sum(pts) / len(pts) if pts else None)
        rows.append([name, *values])
    return int(step), ["scalar", *[r.label for r in runs]], rows


def same_evaluation_data(runs: list[RunLog]) -> bool:
    first = runs[0].data_config()
    return all(r.data_config() == first for r in runs[1:])


def fmt(v: Any) -> str:
    return "-" if v is None else f"{v:.5g}" if isinstance(v, float) else str(v)


def text_table(header: list[str], rows: list[list[Any]]) -> str:
    cells = [header, *[[fmt(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells)


def _html_table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(fmt(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render(runs: list[RunLog], fresh: tuple[list[str], list[list[Any]]] | None = None) -> str:
    """The comparison page: tables, then every scalar's curves with one line per run."""
    overlays = []
    for kind in ("train", "eval"):
        per_run = {r.label: r.series(kind) for r in runs}
        for name in dict.fromkeys(n for s in per_run.values() for n in s):
            overlays.append((group_of(name, kind), name,
                             {label: s[name] for label, s in per_run.items() if name in s}))
    step, t_head, t_rows = train_table(runs)
    e_head, e_rows = eval_table(runs)
    listed = "".join(f"<li><b>{escape(r.label)}</b>: {escape(str(r.path))}</li>" for r in runs)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ganforge compare</title>"
        f"<style>{STYLE}{plots.CSS}</style></head><body {plots.body_attributes()}>"
        f"<h1>Comparison of {len(runs)} runs</h1><ul>{listed}</ul>"
        + ("" if same_evaluation_data(runs) else
           "<p><b>The runs' data configs differ</b>: their evaluation numbers are not on the same images.</p>")
        + (f"<h2>Fresh metrics (latest checkpoints, same batches)</h2>{_html_table(*fresh)}" if fresh else "")
        + (f"<h2>Evaluation at common steps</h2>{_html_table(e_head, e_rows)}" if e_rows else "")
        + (f"<h2>Training scalars at step {step}</h2><p>mean of the last {TRAIN_WINDOW} logged values</p>"
           f"{_html_table(t_head, t_rows)}" if t_rows else "")
        + "<h2>Curves</h2>" + plots.controls() + plots.sections(overlays)
        + "</body></html>\n")


def fresh_metrics(runs: list[RunLog], specs: list[Any], batches: int | None) -> tuple[list[str], list[list[Any]]]:
    """``ganforge eval`` of each run's latest checkpoint: rows ``[metric, value per run]``."""
    from .cli_train import eval_command

    values = [eval_command(str(r.path), specs, batches) for r in runs]
    names = list(dict.fromkeys(n for v in values for n in v))
    return ["metric", *[r.label for r in runs]], [[n, *[v.get(n) for v in values]] for n in names]


def to_json(runs: list[RunLog], fresh: tuple[list[str], list[list[Any]]] | None) -> str:
    step, t_head, t_rows = train_table(runs)
    e_head, e_rows = eval_table(runs)
    out = {"runs": {r.label: str(r.path) for r in runs},
           "eval": [dict(zip(e_head, row)) for row in e_rows],
           "train": {"step": step, "rows": [dict(zip(t_head, row)) for row in t_rows]}}
    if fresh:
        out["fresh"] = [dict(zip(fresh[0], row)) for row in fresh[1]]
    return json.dumps(out, indent=2)

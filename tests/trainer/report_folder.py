"""A run folder as the trainer leaves it, for the report tests here and in browser_tests/."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from ganforge import Condition
from ganforge.report import write_report
from ganforge.report.rows import conditional_rows, save_rows


def write_report_folder(run: Path) -> Path:
    """Named rows at steps 0 and 20 (4 columns of 16 px tiles), every group of scalars,
    an eval point with a spread, run metadata and a config; then its index.html."""
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

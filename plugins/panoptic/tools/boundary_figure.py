"""The README's comparison picture: panoptic maps, real images, a SPADE run's and a
Panoptic run's samples for the same synthetic-world scenes, enlarged.

    python plugins/panoptic/tools/boundary_figure.py RUN_SPADE RUN_PANOPTIC OUT.png [--n 8]

Both runs must share their data config (the SPADE baseline of docs/papers/panoptic.md
does); the samples are `ganforge sample`'s (EMA generator, scenes of seed train.seed + 1).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import ganforge
from ganforge.cli_train import sample_command
from ganforge.config import load_config
from ganforge.report.grid import to_uint8_grid

PAD = 2  # ganforge's grid padding


def generated_row(run: Path, n: int, tmp: Path) -> np.ndarray:
    """The second row (generated images) of ``ganforge sample RUN --n N``."""
    grid = np.asarray(Image.open(sample_command(str(run), n, str(tmp / f"{run.name}.png"))).convert("RGB"))
    h = (grid.shape[0] - 3 * PAD) // 2
    return grid[2 * PAD + h: 2 * PAD + 2 * h]


def scene_rows(run: Path, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(panoptic maps in random colours, real images) of the scenes the samples show."""
    exp = load_config(run / "config.yaml", check=False)
    spec = {**exp.data.model_dump(), "seed": exp.train.seed + 1}
    world = ganforge.build("dataset", spec, path="data")
    samples = [world[i] for i in range(n)]
    panoptic = torch.stack([s["panoptic"] for s in samples])
    colours = torch.rand(int(panoptic.max()) + 1, 3, generator=torch.Generator().manual_seed(0)) * 2 - 1
    maps = colours[panoptic].permute(0, 3, 1, 2)
    rows = [to_uint8_grid(t, n, PAD)[PAD:-PAD] for t in (maps, torch.stack([s["image"] for s in samples]))]
    return rows[0], rows[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("spade", type=Path)
    ap.add_argument("panoptic", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--scale", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [*scene_rows(args.spade, args.n), generated_row(args.spade, args.n, Path(tmp)),
                generated_row(args.panoptic, args.n, Path(tmp))]
    width = max(r.shape[1] for r in rows)
    gap = np.full((PAD, width, 3), 255, np.uint8)
    stacked = np.concatenate([x for r in rows for x in (r[:, :width], gap)][:-1])
    Image.fromarray(stacked).resize((stacked.shape[1] * args.scale, stacked.shape[0] * args.scale),
                                    Image.NEAREST).save(args.out)


if __name__ == "__main__":
    main()

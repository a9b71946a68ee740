"""Named sample rows: what a recipe's ``ganforge_sample`` returns, turned into one grid.

A recipe returns ``{"label map": cond["label"], "generated": fake, "real": image}``: each
value a batch, one row of the grid per name, in order. Label and instance maps (integer
ids, (B, H, W) or (B, 1, H, W)) and one-hot maps (float, more than 3 channels) are drawn
with one fixed palette, so a class has the same colour in every run and every report.
The row names go beside the PNG in a JSON file (``step_00000200.json``) for the report
and ``ganforge sample`` to caption the grid.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

import torch
import torch.nn.functional as F

from .grid import save_grid

Rows = Mapping[str, torch.Tensor]


def palette(n: int = 256) -> torch.Tensor:
    """(n, 3) uint8 colours: PASCAL VOC's bit-interleaved palette (id 0 black, then
    well-separated hues), the convention of most segmentation tools."""
    out = torch.zeros(n, 3, dtype=torch.uint8)
    for i in range(n):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        out[i] = torch.tensor([r, g, b], dtype=torch.uint8)
    return out


PALETTE = palette()


def colour_ids(ids: torch.Tensor) -> torch.Tensor:
    """Integer ids (B, H, W) -> (B, 3, H, W) in [-1, 1] with `PALETTE` (ids taken mod 256)."""
    rgb = PALETTE.to(ids.device)[ids.long() % len(PALETTE)]  # (B, H, W, 3)
    return rgb.permute(0, 3, 1, 2).float() / 127.5 - 1


def picture(x: torch.Tensor) -> torch.Tensor:
    """Any row of a sample grid as (B, 3, H, W) in [-1, 1]: ids and one-hot maps coloured,
    one channel grey, images unchanged."""
    if not x.is_floating_point():
        return colour_ids(x[:, 0] if x.dim() == 4 else x)
    if x.dim() != 4:
        raise ValueError(f"a sample row must be (B, C, H, W) images or (B, H, W) ids, got {tuple(x.shape)}")
    if x.shape[1] == 1:
        return x.float().expand(-1, 3, -1, -1)
    if x.shape[1] > 3:
        return colour_ids(x.argmax(1))
    return x.float()


def stack(rows: Rows) -> tuple[torch.Tensor, list[str], int]:
    """All rows as one (rows * B, 3, H, W) batch (smaller rows resized, nearest), the
    names and B. Rows must share the batch size."""
    if not rows:
        raise ValueError("no sample rows")
    pics = {name: picture(x.detach().cpu()) for name, x in rows.items()}
    sizes = {name: p.shape[0] for name, p in pics.items()}
    if len(set(sizes.values())) != 1:
        raise ValueError(f"sample rows differ in batch size: {sizes}")
    h = max(p.shape[-2] for p in pics.values())
    w = max(p.shape[-1] for p in pics.values())
    same = [p if p.shape[-2:] == (h, w) else F.interpolate(p, size=(h, w), mode="nearest") for p in pics.values()]
    return torch.cat(same), list(pics), next(iter(sizes.values()))


def save_rows(images: torch.Tensor | Rows, path: Path, columns: int | None = None) -> tuple[Path, list[str]]:
    """Write a sample grid (PNG, atomic) and, for named rows, its names in ``path``.json.
    A bare tensor (unnamed rows) needs ``columns``; returns the PNG path and the names."""
    path = Path(path)
    sidecar = path.with_suffix(".json")
    if isinstance(images, torch.Tensor):
        if columns is None:
            raise ValueError("unnamed sample rows need the number of columns")
        save_grid(images.float(), columns, path)
        sidecar.unlink(missing_ok=True)
        return path, []
    batch, names, columns = stack(images)
    save_grid(batch, columns, path)
    from ganforge.files import atomic_write_bytes

    atomic_write_bytes(sidecar, json.dumps({"rows": names, "columns": columns}).encode("utf-8"))
    return path, names


def row_names(png: Path) -> list[str]:
    """The names written beside a grid by `save_rows` ([] when there are none)."""
    sidecar = Path(png).with_suffix(".json")
    try:
        return [str(n) for n in json.loads(sidecar.read_text(encoding="utf-8"))["rows"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def pad_row(x: torch.Tensor, cells: int) -> torch.Tensor:
    """A row of fewer than ``cells`` images (B, C, H, W) filled up with blank (white) cells
    on the right, for grids whose rows hold different numbers of pictures (an input beside
    its n variations)."""
    x = picture(x.detach())
    if x.shape[0] > cells:
        raise ValueError(f"a row of {x.shape[0]} pictures does not fit {cells} cells")
    return torch.cat([x, x.new_ones(cells - x.shape[0], *x.shape[1:])])


def saved_message(path: Path, names: list[str]) -> str:
    """What a command prints after `save_rows`: the file and, for named rows, their names."""
    return f"wrote {path}" + (f"\nrows, top to bottom: {', '.join(names)} ({Path(path).with_suffix('.json').name})"
                              if names else "")


def conditional_rows(cond, generated: torch.Tensor, real: torch.Tensor | None) -> dict[str, torch.Tensor]:
    """The rows of a conditional recipe: the label map when the condition has one, the
    generated images, the real ones (when there are any): input, output, target."""
    rows = {"label map": cond["label"]} if "label" in cond else {}
    rows["generated"] = generated
    if real is not None:
        rows["real"] = real
    return rows

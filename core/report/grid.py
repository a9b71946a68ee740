"""Sample grids as PNG files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image


def to_uint8_grid(images: torch.Tensor, columns: int, pad: int = 2) -> np.ndarray:
    """(N, C, H, W) images in [-1, 1] -> an (rows*H, columns*W, 3) uint8 array, row-major,
    white padding between tiles. One-channel images are shown grey."""
    if images.dim() != 4:
        raise ValueError(f"sample images must be (N, C, H, W), got shape {tuple(images.shape)}")
    x = images.detach().float().cpu().clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    elif x.shape[1] != 3:
        x = x[:, :3] if x.shape[1] > 3 else torch.cat([x, x[:, -1:].expand(-1, 3 - x.shape[1], -1, -1)], 1)
    n, _, h, w = x.shape
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    grid = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad, 3), 255, dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, columns)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        grid[top:top + h, left:left + w] = x[i].permute(1, 2, 0).numpy()
    return grid


def png_bytes(images: torch.Tensor, columns: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(to_uint8_grid(images, columns)).save(buf, format="PNG")
    return buf.getvalue()


def save_grid(images: torch.Tensor, columns: int, path: Path) -> Path:
    """Write the grid as a PNG atomically (a reader never sees half an image)."""
    from ganforge.files import atomic_write

    data = png_bytes(images, columns)
    atomic_write(Path(path), lambda f: f.write(data))
    return Path(path)

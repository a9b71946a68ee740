"""Reading images and maps from disk; every failure becomes a `DataError` naming the file.

PIL opens lazily, so a truncated file only fails when its pixels are decoded: every
reader here decodes at once (``load()``) inside the error handling.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from ganforge.errors import DataError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm")


def open_image(path: Path) -> Image.Image:
    """The decoded PIL image at ``path``."""
    try:
        with Image.open(path) as img:  # closes the file even when decoding fails
            img.load()
    except FileNotFoundError:
        raise DataError(f"{path}: file does not exist") from None
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise DataError(f"{path}: cannot read image ({exc})") from None
    return img


def image_size(path: Path) -> tuple[int, int]:
    """(W, H) from the file header, without decoding the pixels."""
    try:
        with Image.open(path) as img:
            return img.size
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise DataError(f"{path}: cannot read image ({exc})") from None


def read_rgb(path: Path) -> Image.Image:
    """An RGB image (grey and palette images are converted, alpha dropped)."""
    return open_image(path).convert("RGB")


def load_images(paths, size: tuple[int, int]) -> torch.Tensor:
    """(N, 3, H, W) in [-1, 1] from image files resized bilinearly to ``size`` (H, W), as the
    papers' test loaders read a user's own inputs; a bad file is a DataError naming it."""
    out = []
    for p in paths:
        img = read_rgb(Path(p)).resize((size[1], size[0]), Image.BILINEAR)
        out.append(torch.from_numpy(np.asarray(img, dtype=np.float32)).permute(2, 0, 1) / 127.5 - 1)
    if not out:
        raise DataError("no images given")
    return torch.stack(out)


def read_ids(path: Path) -> np.ndarray:
    """(H, W) int64 ids of a single-channel label or instance map (8, 16 or 32 bit, or a
    palette PNG whose indices are the ids)."""
    img = open_image(path)
    if img.mode not in ("L", "P", "I", "I;16", "I;16B", "I;16L", "I;16N"):
        raise DataError(f"{path}: a label/instance map must be single-channel ids (8/16/32-bit or palette), "
                        f"got PIL mode {img.mode!r}")
    return np.asarray(img).astype(np.int64)


def read_rgb_ids(path: Path) -> np.ndarray:
    """(H, W, 3) uint8 of a colour-coded map (COCO panoptic PNG)."""
    img = open_image(path)
    if img.mode != "RGB":
        raise DataError(f"{path}: a panoptic PNG must be RGB (id = R + 256 G + 256^2 B), got PIL mode {img.mode!r}")
    return np.asarray(img)


def list_images(folder: Path, what: str) -> list[Path]:
    """Image files directly in ``folder``, sorted by name."""
    if not folder.is_dir():
        raise DataError(f"{folder}: {what} folder does not exist")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())

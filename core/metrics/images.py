"""From generator output to Inception input: quantisation and the named resize conventions.

The FID libraries agree on the Fréchet distance and disagree on everything before it.
Each convention here is one library's exact pipeline from 8-bit images to the network's
299 x 299 input, named so that a reported number says how it was made:

========================== ============================================== ======================
convention                 resize (from uint8 values)                      input scaling
========================== ============================================== ======================
``tf1_bilinear``           TF1 ``resize_bilinear`` (torch-fidelity)         (x - 128) / 128
``pil_bicubic``            PIL bicubic per channel in float32 (clean-fid)   (x - 128) / 128
``torch_bilinear``         ``F.interpolate`` bilinear on x / 255 (pytorch-fid) 2 (x / 255) - 1
``torch_bilinear_antialias`` ``F.interpolate`` bilinear, antialias=True     (x - 128) / 128
========================== ============================================== ======================
"""

from __future__ import annotations

from typing import Callable, Literal

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

Convention = Literal["tf1_bilinear", "pil_bicubic", "torch_bilinear", "torch_bilinear_antialias"]
INCEPTION_SIZE = 299


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] -> uint8 by *rounding* (what saving a PNG with torchvision does).

    Truncation (``.to(torch.uint8)`` on ``(x + 1) * 127.5``) maps every value to the grey
    level below it: a bias of -0.5 grey levels on average that FID sees.
    """
    if images.dtype == torch.uint8:
        return images
    return images.detach().float().clamp(-1, 1).add(1).mul(127.5).add(0.5).floor().to(torch.uint8)


def as_rgb(images: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W); single-channel images are repeated, as the reference tools do for grey PNGs."""
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"expected images of shape (B, 1 or 3, H, W), got {tuple(images.shape)}")
    return images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images


def resize_tf1_bilinear(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """TensorFlow 1.x ``resize_bilinear`` (align_corners=False, no half-pixel centres).

    Output pixel i samples the input at ``i * in / out`` (float32, as TF computes it),
    interpolating between ``floor`` and ``min(floor + 1, in - 1)``: the input of the
    2015 Inception graph that TTUR's reference FID used.
    """
    def grid(n_in: int, n_out: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        pos = torch.arange(n_out, dtype=torch.float32, device=x.device) * torch.tensor(
            n_in / n_out, dtype=torch.float32)
        lo = pos.long()
        return lo, (lo + 1).clamp_max(n_in - 1), (pos - lo.float()).to(x.dtype)

    y_lo, y_hi, dy = grid(x.shape[2], size[0])
    x_lo, x_hi, dx = grid(x.shape[3], size[1])
    top, bottom = x[:, :, y_lo], x[:, :, y_hi]
    top = top[..., x_lo] + (top[..., x_hi] - top[..., x_lo]) * dx
    bottom = bottom[..., x_lo] + (bottom[..., x_hi] - bottom[..., x_lo]) * dx
    return top + (bottom - top) * dy.view(-1, 1)


def resize_pil_bicubic(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """clean-fid's resize: PIL bicubic on each channel as a float32 ('F' mode) image, so no
    second quantisation happens after resizing, then clipped to [0, 255]."""
    out = np.empty((x.shape[0], x.shape[1], size[0], size[1]), dtype=np.float32)
    for b, image in enumerate(x.detach().cpu().numpy().astype(np.float32)):
        for c, channel in enumerate(image):
            resized = Image.fromarray(channel, mode="F").resize((size[1], size[0]), resample=Image.BICUBIC)
            out[b, c] = np.asarray(resized)
    return torch.from_numpy(out.clip(0, 255)).to(x.device)


def _scale_tf(x: torch.Tensor) -> torch.Tensor:
    return (x - 128) / 128


def _tf1_bilinear(x: torch.Tensor) -> torch.Tensor:
    return _scale_tf(resize_tf1_bilinear(x, (INCEPTION_SIZE, INCEPTION_SIZE)))


def _pil_bicubic(x: torch.Tensor) -> torch.Tensor:
    return _scale_tf(resize_pil_bicubic(x, (INCEPTION_SIZE, INCEPTION_SIZE)))


def _torch_bilinear(x: torch.Tensor) -> torch.Tensor:
    x = F.interpolate(x / 255, size=(INCEPTION_SIZE, INCEPTION_SIZE), mode="bilinear", align_corners=False)
    return 2 * x - 1


def _torch_bilinear_antialias(x: torch.Tensor) -> torch.Tensor:
    x = F.interpolate(x, size=(INCEPTION_SIZE, INCEPTION_SIZE), mode="bilinear", align_corners=False,
                      antialias=True)
    return _scale_tf(x)


CONVENTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tf1_bilinear": _tf1_bilinear,
    "pil_bicubic": _pil_bicubic,
    "torch_bilinear": _torch_bilinear,
    "torch_bilinear_antialias": _torch_bilinear_antialias,
}


def inception_input(images: torch.Tensor, convention: Convention) -> torch.Tensor:
    """Images in [-1, 1] (or uint8) -> the Inception input of ``convention`` (float32,
    (B, 3, 299, 299)). Images are quantised to 8 bits first, like the PNGs the reference
    tools read, so ganforge's numbers and theirs start from the same pixels."""
    try:
        prepare = CONVENTIONS[convention]
    except KeyError:
        raise ValueError(f"unknown resize convention {convention!r}; choose one of {', '.join(CONVENTIONS)}") from None
    return prepare(as_rgb(to_uint8(images)).float())

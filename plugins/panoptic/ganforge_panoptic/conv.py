"""Panoptic-aware partial convolution (Dundar et al. 2020, Sec. 3.1).

Partial convolution (Liu et al. 2018) with a mask made from the panoptic map: for the
window centred on pixel p, M(q) = 1 where q has p's panoptic id, 0 elsewhere (and outside
the image), and

    x' = W^T (X * M) * sum(1) / sum(M) + b

so a feature never mixes with features of another instance, even of the same class, and
the re-weighting keeps its scale where only part of the window is the instance. The
centre always matches itself, so sum(M) >= 1 and the paper's "0 if sum(M) = 0" case
cannot occur. A 1x1 convolution sees only its centre: it is already panoptic-aware.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from ganforge.spectral import spectral_norm  # the official (v, then u) update order

from ganforge_spade.layers import InitParams, init_layer


def window_masks(ids: torch.Tensor, kernel: tuple[int, int]) -> torch.Tensor:
    """(B, kh*kw, H*W) {0, 1}: M of the window centred on every pixel, window positions
    in the order of ``F.unfold`` (row-major). Pixels outside the image are 0."""
    kh, kw = kernel
    b, h, w = ids.shape
    ph, pw = kh // 2, kw // 2
    padded = F.pad(ids, (pw, pw, ph, ph))
    inside = F.pad(torch.ones_like(ids, dtype=torch.bool), (pw, pw, ph, ph))
    masks = [(padded[:, dy:dy + h, dx:dx + w] == ids) & inside[:, dy:dy + h, dx:dx + w]
             for dy in range(kh) for dx in range(kw)]
    return torch.stack(masks, 1).view(b, kh * kw, h * w)


def panoptic_conv2d(x: torch.Tensor, ids: torch.Tensor, weight: torch.Tensor,
                    bias: torch.Tensor | None) -> torch.Tensor:
    """Stride-1, size-preserving panoptic-aware convolution of x (B, C, H, W) with the
    segment map ``ids`` (B, H, W) at x's resolution; ``weight`` (O, C, kh, kw), odd kernel."""
    o, c, kh, kw = weight.shape
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"a panoptic-aware convolution needs an odd kernel (a centre pixel), got {kh}x{kw}")
    if tuple(ids.shape) != (x.shape[0],) + tuple(x.shape[-2:]):
        raise ValueError(f"panoptic ids {tuple(ids.shape)} do not match features {tuple(x.shape)}")
    mask = window_masks(ids, (kh, kw))
    partial = (~mask).any(1)  # pixels whose window leaves their segment or the image
    # Dense where most windows are partial (coarse layers), else a plain conv fixed up at the partial pixels.
    if 2 * int(partial.sum()) > partial.numel():
        return _dense(x, mask, weight, bias)
    return _sparse(x, mask, partial, weight, bias)


def _dense(x: torch.Tensor, mask: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """The definition, at every pixel: unfolded windows times M, re-weighted."""
    o, c, kh, kw = weight.shape
    b, _, h, w = x.shape
    m = mask.to(x.dtype)
    cols = F.unfold(x, (kh, kw), padding=(kh // 2, kw // 2)).view(b, c, kh * kw, h * w)
    cols = (cols * m.unsqueeze(1)).view(b, c * kh * kw, h * w)
    out = torch.matmul(weight.reshape(o, c * kh * kw), cols) * (kh * kw / m.sum(1, keepdim=True))
    if bias is not None:
        out = out + bias.view(1, o, 1)
    return out.view(b, o, h, w)


def _sparse(x: torch.Tensor, mask: torch.Tensor, partial: torch.Tensor, weight: torch.Tensor,
            bias: torch.Tensor | None) -> torch.Tensor:
    """Inside a segment M = 1 and this is the plain convolution, so the plain one runs
    everywhere and only the partial pixels (a thin band along the boundaries) are fixed:
    their out-of-segment taps subtracted, the rest re-weighted by sum(1) / sum(M)."""
    o, c, kh, kw = weight.shape
    b, _, h, w = x.shape
    ph, pw = kh // 2, kw // 2
    out = F.conv2d(x, weight, None, padding=(ph, pw)).flatten(2).transpose(1, 2)  # (B, HW, O)
    bi, pi = partial.nonzero(as_tuple=True)
    # their taps, read from the zero-padded input: window position (dy, dx) of pixel (y, x)
    wp = w + 2 * pw
    taps = torch.tensor([dy * wp + dx for dy in range(kh) for dx in range(kw)], device=x.device)
    at = (pi // w) * wp + pi % w
    neighbours = F.pad(x, (pw, pw, ph, ph)).flatten(2)[bi[:, None], :, at[:, None] + taps]  # (P, kk, C)
    outside = (~mask[bi, :, pi]).to(x.dtype)  # (P, kk): taps of another segment (zero outside the image)
    w_taps = weight.reshape(o, c, kh * kw).transpose(1, 2).reshape(o, kh * kw * c)
    dropped = (neighbours * outside.unsqueeze(-1)).reshape(-1, kh * kw * c) @ w_taps.t()  # (P, O)
    ratio = (kh * kw) / mask[bi, :, pi].sum(1, keepdim=True).to(x.dtype)
    out = out.index_put((bi, pi), (out[bi, pi] - dropped) * ratio)
    if bias is not None:
        out = out + bias
    return out.transpose(1, 2).reshape(b, o, h, w)


class PanopticConv2d(nn.Conv2d):
    """A ``Conv2d`` (same parameters and state_dict keys) applied panoptic-aware:
    ``forward(x, ids)`` with ``ids`` the segment map at x's resolution."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=bias)

    def forward(self, x: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return panoptic_conv2d(x, ids, self.weight, self.bias)


def panoptic_conv(in_ch: int, out_ch: int, kernel_size: int, *, bias: bool = True, spectral: bool = False,
                  init: InitParams) -> nn.Module:
    """A panoptic-aware conv initialised as SPADE initialises its convs, with spectral norm if asked."""
    conv = init_layer(PanopticConv2d(in_ch, out_ch, kernel_size, bias=bias), init.init_type, init.init_gain)
    return spectral_norm(conv) if spectral else conv

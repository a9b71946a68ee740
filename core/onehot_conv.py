"""A convolution over a one-hot label map computed as a lookup, exactly.

A k x k conv whose first K input channels are a one-hot map of ids is, at each output
pixel, the sum of the k*k weight columns picked by the ids under its k*k taps: no
multiply over the K mostly-zero channels (SPADE's ADE20K generator spends a quarter of
its forward FLOPs in such convs). `OneHotConv2d` is an `nn.Conv2d` (same parameters, same
checkpoints, its plain ``forward`` still takes the dense map) with `lookup`, which takes
the ids instead: the forward is an `embedding_bag` sum, its weight gradient a scatter-add,
and the channels beside the one-hot part (instance edges, an image, CoCosNet's warped
exemplar before its label map) stay a small dense conv. Outputs equal the dense conv's up
to fp32 summation order. Reflection padding (CoCosNet) is the caller's: pad the ids and
the dense channels (``F.pad(..., mode="reflect")`` takes integer ids) and look up with
``padding=0``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class OneHotConv2d(nn.Conv2d):
    """``nn.Conv2d`` over [before | one-hot(ids, num_classes) | after] with a lookup path.

    :param num_classes: K, the one-hot channels of the input.
    :param onehot_at: the input channel where the one-hot block starts (0: it comes first).
    Other arguments as `nn.Conv2d` (zero padding, no dilation or groups).
    """

    def __init__(self, num_classes: int, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1, padding: int = 0, bias: bool = True, onehot_at: int = 0):
        if not 0 < num_classes <= in_channels - onehot_at or onehot_at < 0:
            raise ValueError(f"OneHotConv2d: one-hot channels [{onehot_at}, {onehot_at + num_classes}) must lie "
                             f"in [0, in_channels={in_channels})")
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=bias)
        self.num_classes, self.onehot_at = num_classes, onehot_at

    def lookup(self, ids: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        """The conv of [before | one-hot(ids) | after] without building the one-hot map.

        :param ids: (B, H, W) integer ids in [0, num_classes) (checked at the data edge).
        :param extra: (B, in_channels - num_classes, H, W) the dense channels, those before the
            one-hot block then those after it, or None when there are none.
        :returns: (B, out_channels, H', W') contiguous, as ``forward`` on the dense map.
        """
        k, at, n_extra = self.num_classes, self.onehot_at, self.in_channels - self.num_classes
        if (extra.shape[1] if extra is not None else 0) != n_extra:
            raise ValueError(f"OneHotConv2d: expected {n_extra} extra channels, got "
                             f"{0 if extra is None else extra.shape[1]}")
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        b, h, w = ids.shape
        ho, wo = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
        # Index of (class c, tap t) in the table below is c * kh * kw + t; padding reads the
        # extra class k whose rows are zero, as zero padding does.
        padded = F.pad(ids.long(), (pw, pw, ph, ph), value=k) * (kh * kw)
        taps = [padded[:, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw] + (i * kw + j)
                for i in range(kh) for j in range(kw)]
        index = torch.stack(taps).view(kh * kw, b * ho * wo)
        full = self.weight  # read once: a parametrized weight (spectral norm) is recomputed per read
        weight = full[:, at:at + k].permute(1, 2, 3, 0).reshape(k * kh * kw, self.out_channels)
        table = torch.cat([weight, weight.new_zeros(kh * kw, self.out_channels)])
        if n_extra:  # the dense part (with the bias) is the base the lookup adds into
            dense = (full[:, :at] if at + k == self.in_channels else full[:, at + k:] if at == 0
                     else torch.cat([full[:, :at], full[:, at + k:]], 1))
            base = F.conv2d(extra.to(table.dtype), dense, self.bias, self.stride, self.padding)
        else:
            base = self.bias
        out = _Lookup.apply(index, table, base, b).view(b, self.out_channels, ho, wo)
        return out


CHUNK = 1024  # pixels per block: a (CHUNK, width) block transposes inside the cache


class _Lookup(torch.autograd.Function):
    """(taps, B*P) table-row indices -> (B, width, P): per pixel, the sum of its taps' rows, plus bias.

    Computed in blocks of pixels so that the (pixels, width) rows of ``embedding_bag`` land
    in channels-first layout while still in cache (a whole-map permute costs more than the
    lookup); the backward is one ``index_add_`` per tap, about twice as fast on CPU as
    ``embedding_bag``'s generic backward (which sorts the indices first).
    """

    @staticmethod
    def forward(ctx, index: torch.Tensor, table: torch.Tensor, base: torch.Tensor | None, batch: int):
        """``base``: None, a (width,) bias or a (B, width, ...) map added to the sums."""
        ctx.save_for_backward(index)
        ctx.rows, ctx.base_shape = table.shape[0], None if base is None else base.shape
        pixels = index.shape[1] // batch
        bags = index.t().contiguous()
        out = table.new_empty(batch, table.shape[1], pixels)
        if base is not None:
            base = base.to(table.dtype)
            base = base[:, None].expand(-1, pixels) if base.dim() == 1 else base.reshape(batch, -1, pixels)
        for b in range(batch):
            for s in range(0, pixels, CHUNK):
                e = min(s + CHUNK, pixels)
                rows = F.embedding_bag(bags[b * pixels + s:b * pixels + e], table, mode="sum").t()
                if base is None:
                    out[b, :, s:e].copy_(rows)
                else:
                    torch.add(rows, base[b, :, s:e] if base.dim() == 3 else base[:, s:e], out=out[b, :, s:e])
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (index,) = ctx.saved_tensors
        batch, width, pixels = grad.shape
        grad_table = grad.new_zeros(ctx.rows, width)
        for b in range(batch):
            for s in range(0, pixels, CHUNK):
                e = min(s + CHUNK, pixels)
                block = grad[b, :, s:e].t().contiguous()
                for rows in index[:, b * pixels + s:b * pixels + e]:
                    grad_table.index_add_(0, rows, block)
        shape = ctx.base_shape
        grad_base = None if shape is None else grad.sum((0, 2)) if len(shape) == 1 else grad.reshape(shape)
        return None, grad_table, grad_base, None

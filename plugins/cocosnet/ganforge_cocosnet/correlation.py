"""The correlation matrix and the warping it drives (Zhang et al. 2020, Sec. 3.1, Eq. 2-4).

    M(u, v) = <x_S(u) - mean, x_T(v) - mean> / (|x_S(u) - mean| |x_T(v) - mean|)    (2)
    r_{y->x}(u) = sum_v softmax_v(M(u, v) / tau) y(v)                                (4)

``query`` holds one feature vector per position of the input domain (the label map's
geometry), ``key`` one per exemplar position; ``values`` are what gets warped (the
exemplar's pixels, its label map). With N query and M key positions the matrix is N x M
per sample: at 256x256 images and 64x64 features that is 4096 x 4096 floats (64 MiB) and
autograd keeps three such tensors (scores, scaled scores, softmax). ``chunk_size`` computes
the same result ``chunk_size`` query rows at a time, forward and backward, recomputing
each block's softmax in backward and writing the gradients into one buffer per input
(as memory-efficient attention does), so memory holds one chunk_size x M block instead.
"""

from __future__ import annotations

import sys

import torch
import torch.nn.functional as F

EPS = sys.float_info.epsilon  # the official feature normalisation adds float64's epsilon


def normalize_features(x: torch.Tensor, dim: int = 1) -> torch.Tensor:
    """x / |x| along ``dim`` (channels), the normalisation of Eq. (2) and of the domain alignment."""
    return x / (torch.norm(x, 2, dim, keepdim=True) + EPS)


def match_features(x: torch.Tensor, match_kernel: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, C k^2, H W): each position described by its k x k neighbourhood
    (the official ``match_kernel`` 3), centred over channels and L2-normalised (Eq. 2)."""
    b = x.shape[0]
    x = F.unfold(x, match_kernel, padding=match_kernel // 2) if match_kernel > 1 else x.reshape(b, x.shape[1], -1)
    return normalize_features(x - x.mean(dim=1, keepdim=True))


def _block(query: torch.Tensor, key: torch.Tensor, values: torch.Tensor, temperature: float) -> torch.Tensor:
    scores = torch.matmul(query.transpose(1, 2), key) / temperature  # (B, n, M), Eq. (2) / tau
    return torch.matmul(F.softmax(scores, dim=-1), values)  # Eq. (4)


class _ChunkedWarp(torch.autograd.Function):
    """Eq. (4) over blocks of query rows; backward recomputes each block's softmax P and
    applies dS = P * (dP - rowsum(dP * P)) / tau without keeping any N x M tensor."""

    @staticmethod
    def forward(ctx, query, key, values, temperature, chunk_size):
        ctx.save_for_backward(query, key, values)
        ctx.temperature, ctx.chunk_size = temperature, chunk_size
        return torch.cat([_block(query[:, :, s:s + chunk_size], key, values, temperature)
                          for s in range(0, query.shape[2], chunk_size)], dim=1)

    @staticmethod
    def backward(ctx, grad_out):
        query, key, values = ctx.saved_tensors
        tau, c = ctx.temperature, ctx.chunk_size
        need_q, need_k, need_v = ctx.needs_input_grad[:3]
        dq = torch.empty_like(query) if need_q else None
        dk = torch.zeros_like(key) if need_k else None
        dv = torch.zeros_like(values) if need_v else None
        for s in range(0, query.shape[2], c):
            q, g = query[:, :, s:s + c], grad_out[:, s:s + c]
            p = F.softmax(torch.matmul(q.transpose(1, 2), key) / tau, dim=-1)  # (B, n, M)
            if need_v:
                dv += torch.matmul(p.transpose(1, 2), g)
            dp = torch.matmul(g, values.transpose(1, 2))
            ds = p * (dp - (dp * p).sum(dim=-1, keepdim=True)) / tau
            if need_q:
                dq[:, :, s:s + c] = torch.matmul(key, ds.transpose(1, 2))
            if need_k:
                dk += torch.matmul(q, ds)
        return dq, dk, dv, None, None


def warp(query: torch.Tensor, key: torch.Tensor, values: torch.Tensor, temperature: float = 0.01,
         chunk_size: int | None = None) -> torch.Tensor:
    """Warp ``values`` (B, M, C) from the key positions to the query positions: (B, N, C).

    :param query: (B, D, N) normalised features of the positions that receive values.
    :param key: (B, D, M) normalised features of the positions values come from.
    :param temperature: tau of the softmax; the paper's 0.01 makes it close to an argmax.
    :param chunk_size: None computes the whole N x M matrix at once; an integer computes
        that many query rows at a time (recomputed in backward), with the same result and
        gradients in less memory.
    """
    if query.shape[:2] != key.shape[:2] or key.shape[0] != values.shape[0] or key.shape[2] != values.shape[1]:
        raise ValueError(f"warp: query {tuple(query.shape)} (B, D, N), key {tuple(key.shape)} (B, D, M) and "
                         f"values {tuple(values.shape)} (B, M, C) do not fit together")
    if chunk_size is None or chunk_size >= query.shape[2]:
        return _block(query, key, values, temperature)
    if chunk_size < 1:
        raise ValueError(f"warp: chunk_size must be >= 1 or None, got {chunk_size}")
    return _ChunkedWarp.apply(query, key, values, temperature, chunk_size)

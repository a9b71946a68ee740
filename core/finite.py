"""NaN and Inf in model state: weights, buffers (BatchNorm statistics), EMA copies,
optimiser moments, gradients.

A finite loss does not mean finite weights (an infinite learning rate, a NaN gradient,
an overflowing running variance), so the trainer checks the state itself before it
steps and before it writes a checkpoint, and every command that opens a checkpoint
checks what it loads: a diverged run is never used, or kept as "good", silently.
"""

from __future__ import annotations

from typing import Any, Iterable

import torch


def all_finite(tensors: Iterable[torch.Tensor]) -> torch.Tensor:
    """A 0-d bool tensor on the tensors' device: no NaN or Inf in any of them (no host sync,
    the caller decides when to read it). Integer tensors are finite by construction."""
    flags = [t.detach().isfinite().all() for t in tensors if t.is_floating_point() or t.is_complex()]
    return torch.stack(flags).all() if flags else torch.tensor(True)


def nonfinite(tree: Any, prefix: str = "") -> list[str]:
    """Dotted names of the floating-point tensors in ``tree`` (tensors in nested dicts,
    lists and tuples, e.g. a checkpoint) that hold a NaN or an Inf."""
    if isinstance(tree, torch.Tensor):
        floating = tree.is_floating_point() or tree.is_complex()
        return [prefix or "tensor"] if floating and not bool(tree.isfinite().all()) else []
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, (list, tuple)):
        items = enumerate(tree)
    else:
        return []
    return [name for k, v in items for name in nonfinite(v, f"{prefix}.{k}" if prefix else str(k))]


def nonfinite_modules(modules: dict[str, torch.nn.Module], grads: bool = False) -> list[str]:
    """``role.name`` of the parameters and buffers (or, with ``grads``, the gradients) of
    ``modules`` that hold a NaN or an Inf."""
    out = []
    for role, module in modules.items():
        if grads:
            out += [f"{role}.{n} (gradient)" for n, p in module.named_parameters()
                    if p.grad is not None and nonfinite(p.grad)]
        else:
            tensors = [*module.named_parameters(), *module.named_buffers()]
            out += [f"{role}.{n}" for n, t in tensors if nonfinite(t)]
    return out


def summary(names: list[str], limit: int = 4) -> str:
    """``"3 tensors (a, b, c)"``: how many and the first few names."""
    shown = ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")
    return f"{len(names)} tensor{'s' if len(names) != 1 else ''} ({shown})"

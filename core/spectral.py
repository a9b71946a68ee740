"""Spectral normalisation with the update order of the papers' code.

Every official implementation of the papers here used torch's original hook
(``torch.nn.utils.spectral_norm``), whose power iteration updates ``v = W^T u / |.|``
first and then ``u = W v / |.|``. torch's parametrization
(``torch.nn.utils.parametrizations.spectral_norm``), which the plugins use for its
cleaner state and DDP behaviour, updates u first, then v: from the same weights and
vectors the two give another sigma at every training step, so the first steps after an
imported checkpoint differ by a few percent of the output. `spectral_norm` here is the
parametrization (same module structure and state_dict names: ``parametrizations.weight.
original``, ``.0._u``, ``.0._v``) with the hook's order; sigma is ``u^T W v`` in both.
In eval mode neither updates.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import _SpectralNorm


class OfficialOrderSpectralNorm(_SpectralNorm):
    """torch's spectral-norm parametrization with the power iteration of the original hook."""

    @torch.autograd.no_grad()
    def _power_method(self, weight_mat: torch.Tensor, n_power_iterations: int) -> None:
        # in place (out=), as torch's: DataParallel replicas share the buffers' storage
        for _ in range(n_power_iterations):
            self._v = F.normalize(torch.mv(weight_mat.H, self._u), dim=0, eps=self.eps, out=self._v)
            self._u = F.normalize(torch.mv(weight_mat, self._v), dim=0, eps=self.eps, out=self._u)


def spectral_norm(module: nn.Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> nn.Module:
    """Drop-in for ``torch.nn.utils.parametrizations.spectral_norm`` with the official
    (v, then u) update order."""
    weight = getattr(module, name, None)
    if not isinstance(weight, torch.Tensor):
        raise ValueError(f"module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)) else 0
    parametrize.register_parametrization(module, name, OfficialOrderSpectralNorm(weight, n_power_iterations, dim, eps))
    return module

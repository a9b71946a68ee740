"""Capabilities: what a component can do beyond its kind's contract, declared by methods.

Some papers do not train a network but operate on one: Image2StyleGAN++ embeds and edits
images in the latent, noise and activation spaces of *any* StyleGAN-like generator. The
generator's kind (``forward(cond) -> image``) cannot express that, so the capability is a
`typing.Protocol` here; a generator (ours or a third party's) provides it by having the
methods, and the consumer checks with `require` to fail with a message that names what is
missing instead of an AttributeError deep inside an optimisation loop.
"""

from __future__ import annotations

from typing import Callable, Protocol, runtime_checkable

import torch

from .errors import ConfigError

ActivationEdit = Callable[[str, torch.Tensor], torch.Tensor]
"""``edit(layer_name, activation) -> activation``: called on every named synthesis layer's
output, the returned tensor continues through the network (return the input unchanged to
leave a layer alone)."""


@runtime_checkable
class StyleLatentGenerator(Protocol):
    """A StyleGAN-like generator: a mapping network z -> w, a synthesis network driven by one
    w per style input (the W+ space), per-layer noise inputs, and named intermediate
    activations that can be read and replaced.

    * ``w_dim`` — width of w; ``num_ws`` — number of w the synthesis reads (W+ is
      (B, num_ws, w_dim)).
    * ``mapping(z, truncation_psi=1.0)`` — (B, z_dim) -> (B, w_dim), truncated towards the
      mean w by ``psi``.
    * ``mean_w()`` — the (w_dim,) average w (the tracked average or an estimate), the usual
      starting point of an embedding.
    * ``noise_shapes()`` — the (C, H, W) of each noise input, in synthesis order.
    * ``activation_names()`` — the layer names ``edit`` is called with, coarse to fine.
    * ``synthesis(ws, noise=None, edit=None)`` — (B, num_ws, w_dim) -> (B, C, H, W) in
      [-1, 1]; ``noise`` a list of tensors of ``noise_shapes()`` with a batch dim (None: fresh
      random noise), ``edit`` an `ActivationEdit`.
    """

    w_dim: int
    num_ws: int

    def mapping(self, z: torch.Tensor, truncation_psi: float = 1.0) -> torch.Tensor: ...

    def mean_w(self) -> torch.Tensor: ...

    def noise_shapes(self) -> list[tuple[int, int, int]]: ...

    def activation_names(self) -> list[str]: ...

    def synthesis(self, ws: torch.Tensor, noise: list[torch.Tensor] | None = None,
                  edit: ActivationEdit | None = None) -> torch.Tensor: ...


def require(obj: object, capability: type, who: str) -> None:
    """Raise a ConfigError naming ``who`` and the missing members unless ``obj`` has ``capability``."""
    if isinstance(obj, capability):
        return
    members = {*getattr(capability, "__annotations__", {}), *vars(capability)}
    missing = sorted(m for m in members if not m.startswith("_") and not hasattr(obj, m))
    raise ConfigError(f"{who}: {type(obj).__name__} is not a {capability.__name__}; it lacks "
                      f"{', '.join(missing)} (see ganforge.capabilities.{capability.__name__})")

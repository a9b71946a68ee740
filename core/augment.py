"""DiffAugment (Zhao et al. 2020, arXiv:2006.10738): differentiable augmentation of every
image the discriminator sees, real and generated, in both steps and in R1.

An extra strategy for any recipe: ``strategies: [diffaugment]``. It installs
`Run.wrap_input` on every network of kind ``discriminator`` (or the ``roles`` given), so
no recipe changes. The operations and their ranges are the official
``DiffAugment_pytorch.py``'s:

* ``color``: brightness ``x + (u - 0.5)``, saturation ``(x - mean_c) * 2u + mean_c``,
  contrast ``(x - mean_chw) * (u + 0.5) + mean_chw``, one ``u ~ U(0, 1)`` per sample each;
* ``translation``: an integer shift in ``[-r H, r H]`` x ``[-r W, r W]`` (``r = 1/8``,
  rounded as ``int(r H + 0.5)``), zero padding;
* ``cutout``: a zeroed ``int(H/2 + 0.5)`` x ``int(W/2 + 0.5)`` square centred at a random
  pixel (clipped at the border).

The paper's rule is that real and generated images pass through the *same*
augmentation T (augmenting reals only, or only in the discriminator's step, fails: its
Sec. 3). Two choices of ours extend it to recipes the paper did not train:

* one draw per sample *index* per training step, shared by every discriminator call of
  that step: a call on ``k`` times the batch (SPADE's ``D([fake; real])``) gives
  ``fake_i`` and ``real_i`` the same T, so paired losses (feature matching) compare
  matched views; each adversarial term still sees T's full distribution;
* ``align_condition``: the translation also moves the condition's spatial fields at the
  image's resolution (label and instance maps, edges...), so a label-conditioned
  discriminator sees image and label still aligned; pixels shifted in are 0.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F
from pydantic import Field

from .condition import Condition, field_table
from .errors import ConfigError
from .hookspecs import hookimpl
from .interfaces import Params, Strategy
from .run import Run

Op = Literal["color", "translation", "cutout"]
PAPER = "arXiv:2006.10738"
DRAWS = 7  # brightness, saturation, contrast, shift y, shift x, cutout y, cutout x


def _per_sample(u: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return u.to(x.dtype).view(-1, *([1] * (x.dim() - 1)))


def color(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Brightness, saturation, contrast, in the official order."""
    x = x + (_per_sample(u[:, 0], x) - 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (_per_sample(u[:, 1], x) * 2) + mean
    mean = x.mean(dim=[1, 2, 3], keepdim=True)
    return (x - mean) * (_per_sample(u[:, 2], x) + 0.5) + mean


def shifts(u: torch.Tensor, size: tuple[int, int], ratio: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Integer shifts uniform in ``[-s, s]`` with ``s = int(size * ratio + 0.5)`` per axis."""
    out = []
    for k, n in enumerate(size):
        s = int(n * ratio + 0.5)
        out.append((u[:, 3 + k] * (2 * s + 1)).floor().long().clamp(max=2 * s) - s)
    return out[0], out[1]


def translate(x: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor) -> torch.Tensor:
    """``out[..., i, j] = x[..., i + dy, j + dx]``, 0 outside: any (B, ..., H, W) tensor."""
    h, w = x.shape[-2:]
    rows = torch.arange(h, device=x.device).view(1, h, 1) + dy.view(-1, 1, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w) + dx.view(-1, 1, 1)
    inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    flat = (rows.clamp(0, h - 1) * w + cols.clamp(0, w - 1)).flatten(1)  # (B, H*W)
    lead = x.shape[1:-2]
    src = x.flatten(-2).flatten(1, -2) if lead else x.flatten(-2).unsqueeze(1)  # (B, C, H*W)
    out = src.gather(2, flat.unsqueeze(1).expand(-1, src.shape[1], -1)).view(x.shape)
    mask = inside.view(x.shape[0], *([1] * len(lead)), h, w)
    return torch.where(mask, out, torch.zeros((), dtype=x.dtype, device=x.device))


def cutout(x: torch.Tensor, u: torch.Tensor, ratio: float) -> torch.Tensor:
    """Zero a ``ratio``-sized rectangle centred at a random pixel (the official offsets:
    ``randint(0, n + 1 - size % 2)``, the square clipped at the border)."""
    inside = []
    for k, n in enumerate(x.shape[-2:]):
        size = int(n * ratio + 0.5)
        offset = (u[:, 5 + k] * (n + 1 - size % 2)).floor().long().clamp(max=n - size % 2)
        low = (offset - size // 2)[:, None]
        idx = torch.arange(n, device=x.device)
        inside.append((idx >= low) & (idx < low + size))  # (B, n)
    cut = inside[0][:, :, None] & inside[1][:, None, :]
    return x * (~cut).unsqueeze(1).to(x.dtype)


def diff_augment(x: torch.Tensor, u: torch.Tensor, policy: list[str], translation_ratio: float = 0.125,
                 cutout_ratio: float = 0.5) -> torch.Tensor:
    """``T(x)`` for images (B, C, H, W) with draws ``u`` (B, 7) in [0, 1)."""
    for op in policy:
        if op == "color":
            x = color(x, u)
        elif op == "translation":
            x = translate(x, *shifts(u, x.shape[-2:], translation_ratio))
        elif op == "cutout":
            x = cutout(x, u, cutout_ratio)
    return x.contiguous()


class DiffAugment(Strategy):
    """DiffAugment: the same differentiable augmentation of real and fake images for every discriminator call."""

    class Params(Params):
        policy: list[Op] = Field(["color", "translation", "cutout"],
                                 description="operations in order; the paper's policies are "
                                             "[color, translation, cutout] and [translation, cutout]")
        translation_ratio: float = Field(0.125, ge=0, le=1, description="largest shift, a fraction of the size")
        cutout_ratio: float = Field(0.5, ge=0, le=1, description="cutout side, a fraction of the size")
        roles: list[str] | None = Field(None, description="networks to augment; default every discriminator")
        align_condition: bool = Field(True, description="translate the condition's spatial fields with the "
                                                        "image (label-conditioned discriminators)")

    def __init__(self, params: Params, data: Any):
        super().__init__(params, data)
        self._draws: torch.Tensor | None = None

    @hookimpl
    def ganforge_setup(self, run: Run) -> None:
        roles = self.params.roles if self.params.roles is not None else run.roles("discriminator")
        missing = [r for r in roles if r not in run.models]
        if missing or not roles:
            raise ConfigError(f"strategy 'diffaugment': roles {missing or roles} name no network of this run; "
                              f"it has {', '.join(run.models)}")
        for role in roles:
            run.wrap_input(role, lambda *args: self.augment(run, *args))

    def draws(self, n: int, device: torch.device) -> torch.Tensor:
        """The step's draws (one row per sample index) repeated for a call on ``k``
        batches; a call of another size, or outside a step, draws its own."""
        d = self._draws
        if d is None or d.device != device or n % d.shape[0]:
            return torch.rand(n, DRAWS, device=device)
        return d.repeat(n // d.shape[0], 1)

    def augment(self, run: Run, image: torch.Tensor, *rest: Any) -> tuple:
        """The `Run.wrap_input` function: T(image) and, with ``align_condition``, the same
        translation of the condition's spatial fields (``rest[0]`` when a Condition)."""
        if not run.training:
            return (image, *rest)
        p = self.params
        u = self.draws(image.shape[0], image.device)
        out = diff_augment(image, u, p.policy, p.translation_ratio, p.cutout_ratio)
        if rest and isinstance(rest[0], Condition) and p.align_condition and "translation" in p.policy:
            dy, dx = shifts(u, image.shape[-2:], p.translation_ratio)
            table, size = field_table(), tuple(image.shape[-2:])
            moved = {k: translate(v, dy, dx) for k, v in rest[0].items()
                     if k in table and table[k].resize != "none" and tuple(v.shape[-2:]) == size}
            rest = (rest[0].replace(**moved), *rest[1:]) if moved else rest
        return (out, *rest)

    def _new_step(self, batch: dict[str, Any]) -> None:
        image = batch["image"]
        self._draws = torch.rand(image.shape[0], DRAWS, device=image.device)

    @hookimpl(wrapper=True)
    def ganforge_discriminator_step(self, run: Run, batch: dict[str, Any]):
        """Fresh draws for the step (the trainer's R1 right after it reuses them)."""
        self._new_step(batch)
        return (yield)

    @hookimpl(wrapper=True)
    def ganforge_generator_step(self, run: Run, batch: dict[str, Any]):
        """Fresh draws for the step."""
        self._new_step(batch)
        return (yield)


def register_components(register) -> None:
    register("strategy", "diffaugment", DiffAugment, paper=PAPER)

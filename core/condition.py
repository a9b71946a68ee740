"""The Condition: the structured input that flows into generators, normalizers and encoders.

Every paper conditions on something different (a label map, per-region style codes, an
exemplar, a domain index, a sketch ...). A `Condition` holds any subset of named fields;
each field is described once by a `FieldSpec` that says how it resizes (label and id
maps resize with *nearest* so ids never blend; images bilinearly with antialiasing) so
that a multi-scale component can ask for the condition at its own resolution without
knowing which fields are in it. Plugins add fields of their own through
`register.condition_field(...)` in their `ganforge_register` hook — no core edit needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Literal, Mapping

import torch
import torch.nn.functional as F

from .errors import ConditionMismatch

Resize = Literal["nearest", "bilinear", "none"]


@dataclass(frozen=True)
class FieldSpec:
    """How one Condition field behaves.

    :param name: the field's key in the Condition.
    :param resize: ``nearest`` for ids, labels, masks and thin strokes; ``bilinear`` for
        images; ``none`` for per-sample vectors (codes, indices, boxes in [0, 1] units).
    :param dtype: ``long`` for index maps, ``float`` otherwise; used to synthesise test data.
    :param shape: the layout, documentation and test-data synthesis both read it
        (B batch, H/W spatial, K classes, N boxes, D code width).
    :param doc: one line for ``ganforge describe`` and the docs.
    """

    name: str
    resize: Resize
    dtype: Literal["long", "float"]
    shape: str
    doc: str


BUILTIN_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("label", "nearest", "long", "B,H,W", "semantic label map, ids in [0, label_nc)"),
    FieldSpec("instance", "nearest", "long", "B,H,W", "instance id map (0 = stuff / no instance)"),
    FieldSpec("panoptic", "nearest", "long", "B,H,W", "panoptic ids, COCO convention id = R + 256 G + 256^2 B"),
    FieldSpec("boxes", "none", "float", "B,N,5", "boxes as (class, x0, y0, x1, y1) in [0, 1] units; class -1 pads"),
    FieldSpec("edge", "nearest", "float", "B,1,H,W", "edge map in {0, 1}"),
    FieldSpec("sketch", "nearest", "float", "B,1,H,W", "free-hand-like sketch strokes in {0, 1}"),
    FieldSpec("style", "none", "float", "B,D", "one global style code per sample"),
    FieldSpec("region_style", "none", "float", "B,K,D", "one style code per semantic class (SEAN's style matrix)"),
    FieldSpec("exemplar", "bilinear", "float", "B,3,H,W", "reference image in [-1, 1]"),
    FieldSpec("source", "bilinear", "float", "B,3,H,W", "image to translate, in [-1, 1]"),
    FieldSpec("exemplar_label", "nearest", "long", "B,H,W", "label map of the exemplar"),
    FieldSpec("domain", "none", "long", "B", "domain index (global look, translation target)"),
    FieldSpec("class_label", "none", "long", "B", "object category (class-conditional and few-shot papers)"),
    FieldSpec("z", "none", "float", "B,D", "latent noise vector"),
    FieldSpec("mask", "nearest", "float", "B,1,H,W", "binary mask, 1 = region of interest (holes, foreground)"),
)


class FieldTable:
    """The known fields: built-ins plus those plugins register. Read-only after build."""

    def __init__(self, fields: tuple[FieldSpec, ...] = BUILTIN_FIELDS):
        self._fields = {f.name: f for f in fields}

    def with_fields(self, extra: tuple[FieldSpec, ...], origin: Mapping[str, str] | None = None) -> "FieldTable":
        """A new table with ``extra`` added; a field redefined differently is an error."""
        table = FieldTable(tuple(self._fields.values()))
        for spec in extra:
            old = table._fields.get(spec.name)
            if old is not None and old != spec:
                who = (origin or {}).get(spec.name, "a plugin")
                raise ValueError(
                    f"condition field {spec.name!r} from {who} conflicts with the existing "
                    f"definition {old}; choose another name"
                )
            table._fields[spec.name] = spec
        return table

    def __getitem__(self, name: str) -> FieldSpec:
        try:
            return self._fields[name]
        except KeyError:
            raise KeyError(
                f"unknown condition field {name!r}; known fields: {', '.join(sorted(self._fields))}. "
                "A plugin adds fields with register.condition_field(...)"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._fields

    def __iter__(self) -> Iterator[FieldSpec]:
        return iter(self._fields.values())


_default_table = FieldTable()


def field_table() -> FieldTable:
    """The table in force: built-ins plus fields of the plugins loaded so far."""
    return _default_table


def install_field_table(table: FieldTable) -> None:
    """Set by the registry when it is built; tests may install their own."""
    global _default_table
    _default_table = table


class Condition(Mapping[str, torch.Tensor]):
    """An immutable mapping of named conditioning tensors with a batch dimension first.

    >>> c = Condition(label=torch.zeros(2, 64, 64, dtype=torch.long))
    >>> c.resized((32, 32))["label"].shape
    torch.Size([2, 32, 32])

    Unknown fields are rejected with the list of known ones, so a typo never silently
    drops a conditioning signal.
    """

    __slots__ = ("_data", "_memo")

    def __init__(self, fields: Mapping[str, torch.Tensor] | None = None, /, **kwargs: torch.Tensor):
        data = dict(fields or {}, **kwargs)
        table = field_table()
        for name in data:
            table[name]  # raises with the known names
        object.__setattr__(self, "_data", data)
        object.__setattr__(self, "_memo", {})

    # Mapping protocol
    def __getitem__(self, name: str) -> torch.Tensor:
        try:
            return self._data[name]
        except KeyError:
            raise KeyError(
                f"the condition has no field {name!r}; it has: {', '.join(sorted(self._data)) or 'nothing'}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setattr__(self, name, value):  # immutability keeps components from editing shared input
        raise AttributeError("Condition is immutable; use .replace(...)")

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={tuple(v.shape)}" for k, v in self._data.items())
        return f"Condition({parts})"

    @property
    def batch_size(self) -> int:
        for v in self._data.values():
            return v.shape[0]
        raise ValueError("an empty Condition has no batch size")

    def replace(self, **fields: torch.Tensor | None) -> "Condition":
        """A copy with fields added or replaced; a value of None removes the field."""
        data = dict(self._data)
        for k, v in fields.items():
            if v is None:
                data.pop(k, None)
            else:
                data[k] = v
        return Condition(data)

    def to(self, device=None, dtype: torch.dtype | None = None, non_blocking: bool = False) -> "Condition":
        """Moves every tensor; ``dtype`` applies to floating fields only (ids stay integer)."""
        out = {}
        for k, v in self._data.items():
            cast = dtype if (dtype is not None and v.is_floating_point()) else None
            out[k] = v.to(device=device, dtype=cast, non_blocking=non_blocking)
        return Condition(out)

    def resized(self, size: tuple[int, int]) -> "Condition":
        """The condition at spatial ``size`` (H, W), each field by its own rule."""
        table = field_table()
        out = {}
        for k, v in self._data.items():
            rule = table[k].resize
            if rule == "none" or tuple(v.shape[-2:]) == tuple(size):
                out[k] = v
            elif rule == "nearest":
                out[k] = _resize_nearest(v, size)
            else:
                out[k] = F.interpolate(v, size=size, mode="bilinear", align_corners=False, antialias=True)
        return Condition(out)

    def memo(self, key: tuple, build: Callable[[], Any]) -> Any:
        """``build()``, computed once per Condition and ``key``.

        Maps derived from the condition (one-hot label maps, semantic maps at each
        resolution) are built once per forward this way instead of once per layer; the
        memo lives as long as the Condition (one batch) and never sees ``replace``d data.
        Only for maps of data that carry no graph: a memo would outlive the pass that built it.
        Under ``torch.compile`` it builds every time: a filled memo would be a second graph
        input (one more compilation per network), and the compiler's CSE merges the repeats.
        """
        if torch.compiler.is_compiling():
            return build()
        memo = self._memo
        if key not in memo:
            memo[key] = build()
        return memo[key]

    def onehot(self, label_nc: int, field: str = "label") -> torch.Tensor:
        """(B, label_nc, H, W) contiguous float one-hot of a label field, built once.

        Ids are validated at the data edge (file decoders, `check_label_range` on each
        batch); here only CPU tensors are checked (no device sync, nothing under compile).
        """
        return self.memo(("onehot", field, label_nc), lambda: onehot(self[field], label_nc, field))


def onehot(lab: torch.Tensor, label_nc: int, field: str = "label") -> torch.Tensor:
    """(B, label_nc, H, W) float one-hot of a (B, H, W) id map, contiguous NCHW.

    ``F.one_hot(...).permute(...)`` would be channels-last in memory, which sends every
    convolution reading it down a slower kernel path; scattering into NCHW does not.
    """
    if lab.device.type == "cpu" and not torch.compiler.is_compiling():
        check_label_range(lab, label_nc, field)
    out = torch.zeros(lab.shape[0], label_nc, *lab.shape[1:], device=lab.device)
    return out.scatter_(1, lab.long().unsqueeze(1), 1.0)


def check_label_range(lab: torch.Tensor, label_nc: int, field: str = "label") -> None:
    """Raise `ConditionMismatch` unless every id lies in [0, label_nc) (syncs on a device)."""
    if lab.numel() and (int(lab.min()) < 0 or int(lab.max()) >= label_nc):
        raise ConditionMismatch(
            f"condition field {field!r} has ids in [{int(lab.min())}, {int(lab.max())}] "
            f"but label_nc is {label_nc}"
        )


def _resize_nearest(v: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    squeeze = v.dim() == 3  # (B,H,W) id maps
    x = v.unsqueeze(1) if squeeze else v
    # nearest on float keeps exact ids (they are integers far below 2^24)
    y = F.interpolate(x.float(), size=size, mode="nearest").to(v.dtype)
    return y.squeeze(1) if squeeze else y


def instance_edges(instance: torch.Tensor) -> torch.Tensor:
    """(B,1,H,W) float map of instance boundaries, as pix2pixHD/SPADE feed them.

    A pixel is an edge when a horizontal or vertical neighbour has another id. Built from
    padded float differences rather than in-place boolean ORs, which Inductor's CPU code
    generator miscompiles (torch 2.x: a ``VecMask<int>``/``VecMask<float>`` mismatch).
    """
    inst = instance if instance.dim() == 4 else instance.unsqueeze(1)
    dx = (inst[..., :, 1:] != inst[..., :, :-1]).float()
    dy = (inst[..., 1:, :] != inst[..., :-1, :]).float()
    return torch.maximum(torch.maximum(F.pad(dx, (1, 0)), F.pad(dx, (0, 1))),
                         torch.maximum(F.pad(dy, (0, 0, 1, 0)), F.pad(dy, (0, 0, 0, 1))))

"""Which installed components combine with which, computed rather than written down.

A component is put into every matching slot of each *base* config (the shipped
``plugins/*/configs/synthetic.yaml`` by default): a discriminator, generator or encoder
replaces the network of that kind, a normalizer or upsampler the ``norm`` / ``upsample``
slot of a network that has one. Each combination then runs the config check training runs
(`ganforge.config.verify`: the components, then `check_wiring`) with the synthetic data's
own description, so "ok" here means "training would start" and a refusal is the check's
own ``error:`` line. Nothing is built or trained.

``ganforge compat KIND NAME`` prints one component's row; ``docs/gen_compat.py`` writes the
matrix of every shipped component into docs/mixing.md.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Iterator

from .errors import GanforgeError
from .interfaces import slot_kind

#: the kinds a compatibility row is computed for
KINDS = ("discriminator", "encoder", "generator", "normalizer", "upsampler")
#: kinds that fill a network of the recipe (``models.<role>``); the others fill slots inside one
NETWORK_KINDS = ("discriminator", "encoder", "generator")


def default_bases() -> list[Path]:
    """Each shipped plugin's synthetic training config (a source checkout's ``plugins/``;
    configs of a plugin's own commands, with no ``strategy``, are not recipes to mix into)."""
    from .config import resolve_tree

    root = Path(__file__).resolve().parent.parent / "plugins"
    return [p for p in sorted(root.glob("*/configs/synthetic.yaml")) if "strategy" in resolve_tree(p)]


def _slots(tree: dict[str, Any], kinds: dict[str, str], kind: str) -> Iterator[tuple[str, ...]]:
    """Key paths in ``tree`` of every place a ``kind`` component goes."""
    from . import registry as _registry

    def walk(spec: Any, spec_kind: str, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        if not isinstance(spec, dict) or "type" not in spec:
            return
        params = _registry.get_registry().get(spec_kind, spec["type"]).params
        for name in params.model_fields:
            sub = slot_kind(params, name)
            if sub == kind:
                yield (*path, name)
            elif sub:
                yield from walk(spec.get(name), sub, (*path, name))

    for role, spec in tree.get("models", {}).items():
        if kinds.get(role) == kind:
            yield ("models", role)
        elif kind not in NETWORK_KINDS and role in kinds:
            yield from walk(spec if isinstance(spec, dict) else {"type": spec}, kinds[role], ("models", role))


def _check(tree: dict[str, Any], source: str) -> str | None:
    """None when the config passes the check training runs, else its one-line reason."""
    from .config import from_dict, verify

    try:
        verify(from_dict(tree, source, trusted=True), source=source)
    except GanforgeError as exc:
        text = str(exc)
        return text[len(source) + 2:] if text.startswith(f"{source}: ") else text
    return None


def compat(kind: str, name: str, bases: list[Path] | None = None) -> list[dict[str, Any]]:
    """One entry per base config: its recipe, and per slot of ``kind`` ``ok`` and the
    check's reason when not (no slots: the base has no place for the component)."""
    from . import registry as _registry
    from .config import from_dict, recipe_networks, resolve_tree

    _registry.get_registry().get(kind, name)  # unknown names fail here, by name
    out = []
    for base in bases if bases is not None else default_bases():
        tree = resolve_tree(base)
        exp = from_dict(tree, str(base), trusted=True)
        kinds, _ = recipe_networks(exp)
        slots = []
        for path in _slots(tree, kinds, kind):
            mixed = copy.deepcopy(tree)
            node = mixed
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = {"type": name}
            reason = _check(mixed, str(base))
            slots.append({"slot": ".".join(path), "ok": reason is None, "reason": reason})
        out.append({"base": str(base), "recipe": exp.strategy.type, "slots": slots})
    return out


def cell(slots: list[dict[str, Any]]) -> str:
    """A matrix cell: ``ok``, ``no``, ``k/n`` slots ok, or blank where there is no slot."""
    good = sum(s["ok"] for s in slots)
    if not slots:
        return ""
    return "ok" if good == len(slots) else "no" if good == 0 else f"{good}/{len(slots)}"

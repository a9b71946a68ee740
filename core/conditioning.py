"""The one conditioning path: how the `Condition` a generator receives is assembled.

Every generator call goes through `condition` (recipes reach it as `Run.condition` /
`Run.generate`; evaluation, ``ganforge sample`` and the paper applications through the
same `Run` methods), and the pre-flight check (`check_wiring`) walks the same routes, so
"the check passes" means "every field reaches the component that reads it".

A generator's condition is built from three sources, in order, a later one winning:

1. **the batch's condition**: the data's fields plus what the strategies add in
   ``ganforge_prepare_batch`` (their ``provides``);
2. **conditioners**: encoder networks the path runs on an image before the generator,
   each adding its ``provides``. The recipe names its own in ``Strategy.conditioners``
   (SPADE's VAE encoder on the real image); a config adds more, or re-routes the
   recipe's, with ``condition: {role: source}`` (``models.<role>`` is then an encoder
   the recipe need not know; it trains with the generator's optimiser). A source is
   ``real`` (the batch image), ``reference`` (the recipe's reference image for this
   call, the real image when it has none), ``none`` (the condition only: a mapping
   network reading ``z``), or the name of an image field of the condition
   (``exemplar``, ``edge``, ``sketch`` ...);
3. **the recipe's overrides** for this call (StarGAN v2's target style and domain,
   HiDT's swapped style). Conditioners read the condition with the overrides applied,
   and one whose every provided field is overridden is not run.

A call without an image (``ganforge sample --labels``) skips the conditioners that read
one; `image_free_fields` says what the generator then still gets.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch
from torch import nn

from .condition import Condition, field_table
from .errors import ConditionMismatch, ConfigError
from .interfaces import DataInfo

#: sources that are not condition fields
IMAGE_SOURCES = ("real", "reference", "none")


def routes(exp: Any) -> dict[str, str]:
    """Conditioner role -> source for a config: the recipe's ``conditioners`` (those
    configured), then the config's ``condition`` entries (which may re-route them)."""
    from .config import recipe_class

    out = {r: s for r, s in recipe_class(exp).conditioners.items() if r in exp.models}
    out.update(exp.condition)
    return out


def _source_image(role: str, source: str, cond: Condition, image: torch.Tensor | None,
                  reference: torch.Tensor | None) -> torch.Tensor | None:
    if source == "none":
        return None
    if source in ("real", "reference"):
        return reference if source == "reference" and reference is not None else image
    return cond[source]


def condition(models: Mapping[str, nn.Module], routes: Mapping[str, str], cond: Condition,
              image: torch.Tensor | None = None, reference: torch.Tensor | None = None,
              **overrides: torch.Tensor) -> tuple[Condition, dict[str, dict[str, torch.Tensor]]]:
    """The generator's condition for ``cond`` (see the module docstring), and each
    conditioner's full output by role (a VAE encoder's ``mu`` / ``logvar`` for its KL
    term). ``models`` maps roles to the networks to run (EMA copies when sampling)."""
    cond = cond.replace(**overrides)
    outputs: dict[str, dict[str, torch.Tensor]] = {}
    for role, source in routes.items():
        module = models.get(role)
        if module is None:
            continue
        provided = frozenset(getattr(module, "provides", ())) - overrides.keys()
        if not provided:
            continue
        x = _source_image(role, source, cond, image, reference)
        if x is None and source != "none":
            continue  # no image in this call (`ganforge sample --labels`): the generator's prior stands in
        out = module(x, cond)
        outputs[role] = out
        cond = cond.replace(**{k: out[k] for k in provided})
    return cond, outputs


def image_free_fields(exp: Any, fields: frozenset[str]) -> frozenset[str]:
    """``fields`` plus what the conditioners that read no image provide: what a generator
    gets in a call without an image."""
    from . import registry as _registry

    out = set(fields)
    for role, source in routes(exp).items():
        if source not in ("real", "reference") and (source == "none" or source in out):
            out |= set(_registry.resolve("encoder", exp.models[role], f"models.{role}")[0].cls.provides)
    return frozenset(out)


# -- the pre-flight check ------------------------------------------------------------------

def check_wiring(exp: Any, data: DataInfo) -> DataInfo:
    """Check that every field each network reads reaches it, and that every network has
    what the recipe needs of it; returns the DataInfo networks are built with (the data's
    fields plus everything the strategies and conditioners provide).

    * discriminators and the recipe's other networks see the batch's condition (data +
      strategies' ``provides``);
    * each conditioner sees that plus what the conditioners before it provide; the
      generators see everything, plus the fields a strategy ``feeds`` them itself
      (EdgeGAN's recipe draws the z it hands its generator);
    * ``Strategy.reads``: fields the recipe takes from a network's output itself
      (StarGAN v2's ``style`` from its mapping network and style encoder);
    * ``Strategy.network_needs``: capabilities the recipe needs of a network (feature
      matching needs a discriminator that returns features).

    Raises `ConditionMismatch` / `ConfigError` with one line naming the component, the
    missing piece and what would supply it.
    """
    from . import registry as _registry
    from .config import recipe_networks

    kinds, _ = recipe_networks(exp)
    strategies = [("strategy", exp.strategy), *((f"strategies.{i}", s) for i, s in enumerate(exp.strategies))]
    records = {path: _registry.resolve("strategy", spec, path) for path, spec in strategies}
    base = set(data.fields)
    for record, _ in records.values():
        base |= set(record.cls.provides)
    for path, spec in strategies:
        _require(path, "strategy", spec, base, data, "the batch")

    routed = routes(exp)
    own = records["strategy"][0].cls.builds_own_inputs
    if exp.condition and own:
        raise ConfigError(f"condition: strategy {exp.strategy.type!r} runs no conditioners ({own}); "
                          f"remove condition.{next(iter(exp.condition))}")
    available = set(base)
    for role, source in routed.items():
        path = f"condition.{role}"
        if role not in exp.models:
            raise ConfigError(f"{path}: no models.{role} is configured to condition the generator")
        if kinds.get(role) != "encoder":
            raise ConfigError(f"{path}: models.{role} is a {kinds.get(role)}; only encoders condition the generator")
        if source not in IMAGE_SOURCES:
            if source not in field_table():
                raise ConfigError(f"{path}: source {source!r} is neither real, reference, none nor a condition field")
            if source not in available:
                raise ConditionMismatch(f"{path}: models.{role} reads the condition field {source!r}, which nothing "
                                        f"provides before it (available: {', '.join(sorted(available))})")
        _require(f"models.{role}", "encoder", exp.models[role], available, data, "the conditioner")
        available |= set(_registry.resolve("encoder", exp.models[role], f"models.{role}")[0].cls.provides)

    recipe_cls = records["strategy"][0].cls
    fed = set().union(*(record.cls.feeds for record, _ in records.values()))  # drawn by a recipe for its G
    for role, spec in exp.models.items():
        if role in routed:
            continue
        sees = available | fed if kinds[role] == "generator" else base
        _require(f"models.{role}", kinds[role], spec, sees, data,
                 "the generator" if kinds[role] == "generator" else f"models.{role}", exp=exp, routed=routed)
    for role, fields in recipe_cls.reads.items():
        if role in exp.models:
            record = _registry.resolve(kinds[role], exp.models[role], f"models.{role}")[0]
            lacking = sorted(set(fields) - set(record.cls.provides))
            if lacking:
                raise ConfigError(
                    f"models.{role}: strategy {exp.strategy.type!r} reads {', '.join(map(repr, lacking))} from this "
                    f"network, but {record.kind} {record.name!r} provides {_names(record.cls.provides)}; "
                    f"{_suppliers(lacking[0], record.kind)}")
    for path, spec in strategies:
        record, params = records[path]
        for role, caps in record.cls.network_needs(params).items():
            if role in exp.models:
                _need_capabilities(f"{path} {spec.type!r}", role, kinds[role], exp.models[role], caps)
    return data.model_copy(update={"fields": frozenset(data.fields) | available | fed})


def _names(fields) -> str:
    return ", ".join(repr(f) for f in sorted(fields)) or "nothing"


def _require(path: str, kind: str, spec: Any, available: set[str], data: DataInfo, reaching: str,
             exp: Any = None, routed: Mapping[str, str] | None = None) -> None:
    from .registry import get_registry
    from .registry.build import requirements

    probe = data.model_copy(update={"fields": frozenset(available)})
    for where, component, field in requirements(get_registry(), kind, spec, probe, path):
        if field in available:
            continue
        hint = _suppliers(field, "encoder", route=True)
        unrouted = [(r, s.type) for r, s in (exp.models.items() if exp is not None else ())
                    if r not in (routed or {}) and field in _provides(exp, r)]
        if unrouted:
            role, name = unrouted[0]
            hint = (f"models.{role} ({name}) provides it, but strategy {exp.strategy.type!r} uses that network "
                    f"for its own losses and does not feed its output to the generator; add a conditioner: "
                    f"models.NAME: {{type: {name}}} and condition: {{NAME: real}}")
        raise ConditionMismatch(f"{where}: {component} needs condition field {field!r}, which nothing reaching "
                                f"{reaching} supplies (it has: {', '.join(sorted(available)) or 'nothing'}); {hint}")


def _provides(exp: Any, role: str) -> frozenset[str]:
    from . import registry as _registry
    from .config import recipe_networks

    kind = recipe_networks(exp)[0].get(role)
    if kind != "encoder":
        return frozenset()
    return frozenset(_registry.resolve(kind, exp.models[role], f"models.{role}")[0].cls.provides)


def _suppliers(field: str, kind: str, route: bool = False) -> str:
    """What would supply ``field``: the registered components of ``kind`` providing it."""
    from .registry import get_registry

    names = sorted(r.name for r in get_registry().records(kind) if field in getattr(r.cls, "provides", ()))
    if not names:
        return f"no installed {kind} provides {field!r}, so the data must (data.fields)"
    how = (f" (route one to the generator: models.NAME: {{type: {names[0]}}} and condition: {{NAME: real}})"
           if route else "")
    return f"{kind}s providing it: {', '.join(names)}{how}"


def _need_capabilities(path: str, role: str, kind: str, spec: Any, caps) -> None:
    from . import registry as _registry

    record, params = _registry.resolve(kind, spec, f"models.{role}")
    has = record.cls.capabilities_of(params)
    for cap in sorted(caps):
        if cap not in has:
            able = sorted(r.name for r in _registry.get_registry().records(kind)
                          if cap in getattr(r.cls, "capabilities", ()))
            raise ConfigError(f"models.{role}: {path} needs a {kind} with the {cap!r} capability "
                              f"({CAPABILITIES.get(cap, cap)}); {kind} {record.name!r} lacks it; "
                              f"{kind}s with it: {', '.join(able) or 'none installed'}")


#: capabilities a recipe or strategy may need of a network (``Component.capabilities``)
CAPABILITIES = {
    "features": "returns intermediate features in DiscriminatorOutput.features, for feature matching",
    "multitask": "one output per domain, picked by cond['domain']",
    "content_style": "splits into encode_content(image) -> content and decode(content, cond) -> (image, "
                     "segmentation), which HiDT's swap and cycle branches call separately",
    "reuse": "exposes its early layers as a module 'encoder' and encode(image) -> embedding, which its own "
             "forward runs (NICE-GAN's discriminator reuse shares them with a generator)",
}

"""Build components from specs, and check a spec tree against the data before building."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from ganforge.errors import AmbiguousComponent, ComponentNotFound, ConditionMismatch, ConfigError
from ganforge.interfaces import ComponentSpec, DataInfo, slot_inherits, slot_kind

from .components import Registry
from .records import ComponentRecord


def as_spec(spec: Any, path: str) -> ComponentSpec:
    """A `ComponentSpec` from a name, a dict with ``type`` or a spec."""
    if isinstance(spec, ComponentSpec):
        return spec
    try:
        return ComponentSpec.model_validate(spec)
    except ValidationError as exc:
        raise ConfigError(f"{path}: expected a component name or a mapping with 'type', got {spec!r}") from exc


def format_validation_error(exc: ValidationError, path: str, record: ComponentRecord) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        full = f"{path}.{loc}" if loc else path
        got = f" (got {err['input']!r})" if "input" in err and err["type"] != "missing" else ""
        lines.append(f"  {full}: {err['msg']}{got}")
    fields = ", ".join(record.params.model_fields) or "none"
    return (f"invalid params for {record.kind} {record.name!r} from {record.origin()}:\n" + "\n".join(lines)
            + f"\n  valid params: {fields} (see `ganforge describe {record.kind} {record.name}`)")


def resolve(registry: Registry, kind: str, spec: Any, path: str | None = None) -> tuple[ComponentRecord, BaseModel]:
    """The record and validated params of ``spec``, recursing into nested slots so that
    every error in the tree is reported with its full config path."""
    path = path or kind
    if isinstance(spec, BaseModel) and not isinstance(spec, ComponentSpec):
        record = registry.find_by_params(kind, type(spec))
        params = spec
    else:
        spec = as_spec(spec, path)
        try:
            record = registry.get(kind, spec.type)
        except (ComponentNotFound, AmbiguousComponent) as exc:
            raise type(exc)(f"{path}: {exc}") from None
        try:
            params = record.params.model_validate(spec.params)
        except ValidationError as exc:
            raise ConfigError(format_validation_error(exc, path, record)) from None
    params = _pass_down(registry, params)
    for name in type(params).model_fields:
        sub_kind = slot_kind(type(params), name)
        value = getattr(params, name)
        if sub_kind and value is not None:
            resolve(registry, sub_kind, value, f"{path}.{name}")
    return record, params


def _pass_down(registry: Registry, params: BaseModel) -> BaseModel:
    """``params`` with each slot's ``inherit`` fields copied into its spec where the nested
    component has such a field and the spec leaves it unset (so the component's own
    ``build`` of the slot sees them)."""
    update = {}
    for name in type(params).model_fields:
        inherit, value = slot_inherits(type(params), name), getattr(params, name)
        if not inherit or not isinstance(value, ComponentSpec):
            continue
        try:
            fields = registry.get(slot_kind(type(params), name), value.type).params.model_fields
        except (ComponentNotFound, AmbiguousComponent):
            continue  # resolve() reports it with its path
        given = {f: getattr(params, f) for f in inherit if f in fields and f not in value.params}
        if given:
            update[name] = ComponentSpec.model_validate({"type": value.type, **value.params, **given})
    return params.model_copy(update=update) if update else params


def requirements(registry: Registry, kind: str, spec: Any, data: DataInfo,
                 path: str | None = None) -> list[tuple[str, str, str]]:
    """(config path, component, field) for every Condition field the tree needs."""
    path = path or kind
    record, params = resolve(registry, kind, spec, path)
    return _requirements_of(registry, record, params, data, path)


def _requirements_of(registry: Registry, record: ComponentRecord, params: BaseModel, data: DataInfo,
                     path: str) -> list[tuple[str, str, str]]:
    out = [(path, f"{record.kind} {record.name!r}", f) for f in sorted(record.cls.requirements(params, data))]
    fed = getattr(record.cls, "feeds", frozenset())
    for name in type(params).model_fields:
        sub_kind = slot_kind(type(params), name)
        value = getattr(params, name)
        if sub_kind and value is not None:
            out += [r for r in requirements(registry, sub_kind, value, data, f"{path}.{name}") if r[2] not in fed]
    return out


def check_requirements(registry: Registry, kind: str, spec: Any, data: DataInfo,
                       path: str | None = None) -> None:
    """Raise `ConditionMismatch` naming the component and field the data lacks."""
    _raise_missing(requirements(registry, kind, spec, data, path), data)


def _raise_missing(needed: list[tuple[str, str, str]], data: DataInfo) -> None:
    missing = [(p, c, f) for p, c, f in needed if f not in data.fields]
    if missing:
        lines = "\n".join(f"  {p}: {c} needs condition field {f!r}" for p, c, f in missing)
        raise ConditionMismatch(
            f"the data does not provide what the config needs:\n{lines}\n"
            f"  the data provides: {', '.join(sorted(data.fields)) or 'nothing'}"
        )


def build(registry: Registry, kind: str, spec: Any, data: DataInfo | None = None, *,
          path: str | None = None, expect: type | None = None, check: bool = True, **runtime: Any):
    """Instantiate a component: ``cls(params, data, **runtime)`` (datasets: ``cls(params)``)."""
    path = path or kind
    record, params = resolve(registry, kind, spec, path)
    if expect is not None and not issubclass(record.cls, expect):
        raise ConfigError(f"{path}: {kind} {record.name!r} is a {record.cls.__mro__[1].__name__}, "
                          f"but this slot needs a {expect.__name__}")
    if kind == "dataset":
        return record.cls(params, **runtime)
    data = data or DataInfo()
    if check:
        _raise_missing(_requirements_of(registry, record, params, data, path), data)
    return record.cls(params, data, **runtime)

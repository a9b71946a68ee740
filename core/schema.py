"""JSON Schema (draft 2020-12) of experiment configs, generated from the pydantic models that
validate them, with every installed component spelled out.

A component field (a `slot`, or an `Experiment` field marked with ``ganforge_kind``) points
at ``kind_<kind>``: a component name, or a mapping whose ``type`` selects that component's
params schema (``if``/``then`` on ``type``, the JSON-Schema form of a discriminated union). So a
validator reports a typo at its exact path (``$.models.generator.norm.type: 'seann' is not
one of [...]``, ``$.models.generator.ngf: 'sixteen' is not of type 'integer'``) instead of
"not valid under any of the given schemas", and an editor completes ``norm.type`` with every
normalizer installed.
"""

from __future__ import annotations

import copy
import typing
from typing import Any, Iterable

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .interfaces import KINDS, ComponentSpec
from .registry import Registry

DRAFT = "https://json-schema.org/draft/2020-12/schema"
REF_PREFIX = "#/$defs/"
KIND_MARK = "ganforge_kind"
NETWORK_KINDS = ("generator", "discriminator", "encoder")


def _models_in(annotation: Any) -> Iterable[type[BaseModel]]:
    """Every pydantic model class an annotation mentions (``list[X] | None`` -> X)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def _reachable(roots: Iterable[type[BaseModel]]) -> list[type[BaseModel]]:
    """The roots and every model their fields use, once each, in a stable order."""
    out: dict[type[BaseModel], None] = {}
    stack = list(roots)
    while stack:
        model = stack.pop(0)
        if model in out:
            continue
        out[model] = None
        for f in model.model_fields.values():
            stack.extend(_models_in(f.annotation))
    return list(out)


def _retarget(node: Any, spec_ref: str, defs: dict[str, Any], kind: str | None = None) -> Any:
    """Replace the ComponentSpec ``$ref`` under every ``ganforge_kind`` mark by its kind,
    and pydantic's discriminated unions by `_by_discriminator`."""
    if isinstance(node, list):
        return [_retarget(v, spec_ref, defs, kind) for v in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    kind = node.pop(KIND_MARK, kind)
    if kind is not None and node.get("$ref") == spec_ref:
        node["$ref"] = f"{REF_PREFIX}kind_{kind}"
    if "discriminator" in node and "oneOf" in node:
        node = _by_discriminator(node, defs)
    return {k: _retarget(v, spec_ref, defs, kind) for k, v in node.items()}


def _by_discriminator(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """``oneOf`` + OpenAPI ``discriminator`` (which JSON Schema validators ignore, so every
    error reads "not valid under any of the given schemas") as ``if``/``then`` on the tag.
    A member whose tag has a default (Adam's ``type: adam``) also applies when it is absent."""
    prop = node["discriminator"]["propertyName"]
    branches = []
    for tag, ref in node["discriminator"]["mapping"].items():
        target = defs.get(ref[len(REF_PREFIX):], {})
        chosen: dict[str, Any] = {"properties": {prop: {"const": tag}}, "required": [prop]}
        if target.get("properties", {}).get(prop, {}).get("default") == tag:
            chosen = {"anyOf": [chosen, {"not": {"required": [prop]}}]}
        branches.append({"if": chosen, "then": {"$ref": ref}})
    rest = {k: v for k, v in node.items() if k not in ("oneOf", "discriminator")}
    return {**rest, "type": "object", "properties": {prop: {"enum": list(node["discriminator"]["mapping"])}},
            "allOf": branches}


def _kind_schema(names: dict[str, list[str]], defs_for: dict[str, str]) -> dict[str, Any]:
    """A component of one kind: its name, or ``{type: name, **params}`` checked against the
    params of the component ``type`` names. ``names``: def name -> accepted spellings."""
    spellings = sorted({s for v in names.values() for s in v})
    if not spellings:
        return {"description": "no component of this kind is installed", "not": {}}
    by_type = [{"if": {"properties": {"type": {"enum": accepted}}, "required": ["type"]},
                "then": {"$ref": REF_PREFIX + defs_for[def_name]}} for def_name, accepted in names.items()]
    return {
        "type": ["string", "object"],
        "if": {"type": "string"}, "then": {"enum": spellings},
        "else": {"required": ["type"], "properties": {"type": {"enum": spellings}}, "allOf": by_type},
    }


def _generate(registry: Registry, roots: list[type[BaseModel]], by_alias: bool = True) -> tuple[dict, dict]:
    """(keys map, defs) for ``roots``, every registered params model and ComponentSpec."""
    params = [r.params for r in registry.records()]
    models = _reachable([*roots, *params, ComponentSpec])
    keys, top = models_json_schema([(m, "validation") for m in models], by_alias=by_alias,
                                   ref_template=REF_PREFIX + "{model}")
    return keys, top.get("$defs", {})


def component_defs(registry: Registry, keys: dict, defs: dict[str, Any]) -> dict[str, Any]:
    """``<kind>.<name>`` (params schema with ``type``) and ``kind_<kind>`` entries."""
    spec_ref = keys[(ComponentSpec, "validation")]["$ref"]
    out: dict[str, Any] = {name: _retarget(body, spec_ref, defs) for name, body in defs.items()}
    for kind in KINDS:
        names: dict[str, list[str]] = {}
        targets: dict[str, str] = {}
        for rec in registry.records(kind):
            params_def = keys[(rec.params, "validation")]["$ref"][len(REF_PREFIX):]
            body = copy.deepcopy(out[params_def])
            body["properties"] = {"type": {"enum": [rec.name, rec.qualified_name], "description": rec.summary},
                                  **body.get("properties", {})}
            body["title"] = f"{kind} {rec.name}"
            def_name = f"{kind}.{rec.qualified_name.replace('/', '.')}"
            out[def_name] = body
            names[def_name] = [rec.name, rec.qualified_name]
            targets[def_name] = def_name
        out[f"kind_{kind}"] = _kind_schema(names, targets)
    out["kind_network"] = {"anyOf": [{"$ref": f"{REF_PREFIX}kind_{k}"} for k in NETWORK_KINDS]}
    return out


def role_kinds(registry: Registry) -> dict[str, str]:
    """Network role -> kind over every installed recipe, for roles every recipe agrees on."""
    seen: dict[str, set[str]] = {}
    for rec in registry.records("strategy"):
        for role, kind in getattr(rec.cls, "networks", {}).items():
            seen.setdefault(role, set()).add(kind)
    return {role: kinds.pop() for role, kinds in sorted(seen.items()) if len(kinds) == 1}


def experiment_schema(registry: Registry) -> dict[str, Any]:
    """The schema of a whole experiment config (``ganforge.config.Experiment``)."""
    from .config import Experiment

    keys, defs = _generate(registry, [Experiment])
    defs = component_defs(registry, keys, defs)
    root_name = keys[(Experiment, "validation")]["$ref"][len(REF_PREFIX):]
    schema = defs.pop(root_name)
    models = schema["properties"]["models"]
    models["properties"] = {role: {"$ref": f"{REF_PREFIX}kind_{kind}"} for role, kind in role_kinds(registry).items()}
    defs["experiment"] = schema
    # a file with `base:` holds only what differs from its base: it is checked once merged
    # (`ganforge params CONFIG --print-config`), here only for the shape of `base` itself
    partial = {"type": "object", "properties": {"base": {
        "description": "config(s) this one is merged onto, relative to this file",
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}}}
    return {"$schema": DRAFT, "title": "ganforge experiment", "type": "object",
            "if": {"required": ["base"]}, "then": partial, "else": {"$ref": f"{REF_PREFIX}experiment"},
            "$defs": defs}


def model_schema(model: type[BaseModel], title: str | None = None) -> dict[str, Any]:
    """A standalone draft 2020-12 schema of a settings model (YAML keys are its aliases)."""
    schema = model.model_json_schema(by_alias=True, ref_template=REF_PREFIX + "{model}")
    return {"$schema": DRAFT, **schema, **({"title": title} if title else {})}

"""JSON Schema of experiment configs, with every installed component spelled out.

Each kind becomes a ``oneOf`` over its components (``type`` fixed to the name, the params
model's properties beside it, or just the name as a string); nested slots point at their
kind, so an editor completes ``generator.norm.type`` with every normalizer installed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .interfaces import KINDS, slot_kind
from .registry import Registry

REF_PREFIX = "#/$defs/"


def _params_schema(params: type[BaseModel], defs: dict[str, Any]) -> dict[str, Any]:
    schema = params.model_json_schema(ref_template=REF_PREFIX + "{model}")
    defs.update(schema.pop("$defs", {}))
    for name in params.model_fields:
        kind = slot_kind(params, name)
        if kind:
            prop = schema["properties"][name]
            ref = {"$ref": f"{REF_PREFIX}kind_{kind}"}
            schema["properties"][name] = {"anyOf": [ref, {"type": "null"}]} if prop.get("default", 0) is None else ref
            schema["properties"][name]["description"] = prop.get("description", "")
    return schema


def kind_schemas(registry: Registry) -> dict[str, Any]:
    """``$defs`` entries ``kind_<kind>`` for every kind, plus the params models they use."""
    defs: dict[str, Any] = {}
    for kind in KINDS:
        options: list[dict[str, Any]] = []
        names = []
        for rec in registry.records(kind):
            names.append(rec.name)
            body = _params_schema(rec.params, defs)
            body["properties"] = {"type": {"const": rec.name, "description": rec.summary}, **body.get("properties", {})}
            body["required"] = ["type", *body.get("required", [])]
            body["title"] = f"{kind} {rec.name}"
            options.append(body)
        name_only = {"type": "string", "enum": names} if names else {"type": "string"}
        defs[f"kind_{kind}"] = {"oneOf": [name_only, *options]} if options else name_only
    return defs


def experiment_schema(registry: Registry) -> dict[str, Any]:
    """The schema of a whole experiment config (``ganforge.config.Experiment``)."""
    from .config import Experiment

    defs = kind_schemas(registry)
    schema = _params_schema(Experiment, defs)
    props = schema["properties"]
    network = {"anyOf": [{"$ref": f"{REF_PREFIX}kind_{k}"} for k in ("generator", "discriminator", "encoder")]}
    for name, value in Experiment.component_fields().items():
        kind, shape = value
        ref = {"$ref": f"{REF_PREFIX}kind_{kind}"} if kind != "network" else network
        doc = props.get(name, {}).get("description", "")
        if shape == "one":
            props[name] = {**ref, "description": doc}
        elif shape == "list":
            props[name] = {"type": "array", "items": ref, "description": doc}
        else:
            props[name] = {"type": "object", "additionalProperties": ref, "description": doc}
    schema["$defs"] = {**schema.get("$defs", {}), **defs}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ganforge experiment"
    return schema

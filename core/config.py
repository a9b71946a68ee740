"""The experiment config: pydantic models of everything a training run is made of.

A config is YAML; ``--set a.b=c`` overrides any value (parsed as a YAML scalar, so
``train.steps=10`` is an int and ``train.ema.enabled=true`` a bool). Loading it checks the
whole tree before anything is built: the structure here, every component's params
against its registered ``Params`` (with the full dotted path of a bad value), and the
Condition fields every component needs against what the dataset and the configured
encoders provide. A typo or an impossible combination is a `ConfigError` /
`ConditionMismatch` naming the file and the path, not a crash at step 1.
"""

from __future__ import annotations

import contextlib
import copy
import os
from pathlib import Path
from typing import Annotated, Any, Iterable, Iterator, Literal, Mapping

import yaml
from pydantic import BeforeValidator, Field, PrivateAttr, ValidationError, field_validator, model_validator

from . import registry as _registry
from .errors import ConditionMismatch, ConfigError, GanforgeError, PluginError
from .interfaces import ComponentSpec, DataInfo, Params, Strategy


class Adam(Params):
    """Adam as GANs use it; ``betas=(0, 0.9)`` with unequal lrs is TTUR (SPADE)."""

    type: Literal["adam"] = "adam"
    lr: float = Field(2e-4, gt=0, le=1, description="learning rate, in (0, 1]: a GAN's is ~1e-4")
    betas: tuple[float, float] = Field((0.5, 0.999), description="(beta1, beta2)")
    weight_decay: float = Field(0.0, ge=0)
    eps: float = Field(1e-8, gt=0)

    @field_validator("betas")
    @classmethod
    def _betas_in_range(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not all(0.0 <= b < 1.0 for b in v):
            raise ValueError(f"betas must lie in [0, 1), got {v}")
        return v


class RMSprop(Params):
    """RMSprop, as FUNIT and SEMIT train (lr 1e-4, weight decay 1e-4 in their configs)."""

    type: Literal["rmsprop"]
    lr: float = Field(1e-4, gt=0, le=1, description="learning rate, in (0, 1]: a GAN's is ~1e-4")
    alpha: float = Field(0.99, gt=0, lt=1, description="smoothing constant of the squared-gradient average")
    momentum: float = Field(0.0, ge=0)
    weight_decay: float = Field(0.0, ge=0)
    eps: float = Field(1e-8, gt=0)


def _adam_by_default(value: Any) -> Any:
    return {**value, "type": "adam"} if isinstance(value, dict) and "type" not in value else value


Optimizer = Annotated[Annotated[Adam | RMSprop, Field(discriminator="type")], BeforeValidator(_adam_by_default)]


class Schedule(Params):
    """Learning-rate schedule shared by every optimiser.

    ``linear`` is SPADE's ``niter_decay``: the rate stays constant, then falls linearly
    to zero over the last ``decay_steps`` steps.
    """

    type: Literal["constant", "linear"] = "constant"
    decay_steps: int = Field(0, ge=0, description="linear: steps over which the rate decays to 0 at the end")

    @model_validator(mode="after")
    def _linear_needs_steps(self) -> "Schedule":
        if self.type == "linear" and self.decay_steps <= 0:
            raise ValueError("a linear schedule needs decay_steps > 0")
        return self


class EMA(Params):
    """Exponential moving average of the generator (``G_ema``), used for sampling."""

    enabled: bool = False
    beta: float = Field(0.999, ge=0.0, lt=1.0, description="decay per step")
    start: int = Field(0, ge=0, description="before this step the average copies the weights")
    roles: tuple[str, ...] = Field(("generator",), description="networks to average")


class R1(Params):
    """Lazy R1 penalty on real images (Mescheder et al. 2018; lazy as in StyleGAN2).

    Every ``interval`` steps the discriminator loss gets
    ``interval * gamma / 2 * E[||grad_x D(x)||^2]``; ``gamma = 0`` switches it off.
    """

    gamma: float = Field(0.0, ge=0.0)
    interval: int = Field(16, ge=1)
    role: str = Field("discriminator", description="the network the penalty applies to")


class Train(Params):
    """How the trainer runs the loop. ``batch_size`` is global (split across ranks)."""

    steps: int = Field(1000, ge=1)
    batch_size: int = Field(1, ge=1, description="global batch, divided among DDP ranks")
    num_workers: int = Field(0, ge=0)
    seed: int = Field(0, ge=0, lt=2**63, description="seeds torch, numpy and python (a 63-bit integer)")
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    channels_last: bool = False
    compile: bool | Literal["inductor", "aot_eager", "eager"] = Field(
        False, description="torch.compile each network's training calls; true = inductor, aot_eager / eager "
                           "trace without Inductor's code generation (see docs/trainer.md)")
    ema: EMA = Field(default_factory=EMA)
    r1: R1 = Field(default_factory=R1)
    sample_every: int = Field(500, ge=0, description="steps between sample grids; 0 = only first and last")
    sample_size: int = Field(8, ge=1, description="images in the fixed sampling batch")
    checkpoint_every: int = Field(1000, ge=0, description="0 = only at the end")
    keep_last: int = Field(3, ge=1, description="checkpoints kept in the run folder")
    log_every: int = Field(10, ge=1)
    eval_every: int = Field(0, ge=0, description="0 = only at the end (if metrics are configured)")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    host_memory: Literal["keep", "release"] = Field(
        "keep", description="keep: freed host memory stays in the process and is reused (glibc: no mmap/munmap "
                            "and page faults per step; RSS stays near its peak); release: glibc's default "
                            "(see docs/trainer.md)")
    sync_batchnorm: bool = Field(True, description="BatchNorm statistics over all processes (torch SyncBatchNorm on CUDA, gloo all-reduce on CPU)")


class Eval(Params):
    """Periodic evaluation: metrics over ``batches`` batches of the training data."""

    metrics: list[ComponentSpec] = Field(default_factory=list, json_schema_extra={"ganforge_kind": "metric"})
    batches: int = Field(4, ge=1)


class Experiment(Params):
    """A whole experiment: data, networks, recipe, optimisers and how to train."""

    plugins: list[str] = Field(default_factory=list, description="local plugins (modules or .py files) to load")
    data: ComponentSpec = Field(description="the dataset", json_schema_extra={"ganforge_kind": "dataset"})
    models: dict[str, ComponentSpec] = Field(default_factory=dict, description="role -> network",
                                             json_schema_extra={"ganforge_kind": "network"})
    strategy: ComponentSpec = Field(description="the paper's training recipe",
                                    json_schema_extra={"ganforge_kind": "strategy"})
    strategies: list[ComponentSpec] = Field(default_factory=list, description="extra strategies, after the recipe",
                                            json_schema_extra={"ganforge_kind": "strategy"})
    condition: dict[str, str] = Field(
        default_factory=dict,
        description="conditioners: encoder role -> the image it reads (real, reference, none, or a condition field "
                    "such as exemplar or edge); each adds what it provides to the generator's condition "
                    "(see ganforge.conditioning)")
    optim: dict[str, Optimizer] = Field(default_factory=dict,
                                        description="optimiser name -> settings (type adam, the default, or rmsprop)")
    schedule: Schedule = Field(default_factory=Schedule)
    train: Train = Field(default_factory=Train)
    eval: Eval = Field(default_factory=Eval)

    # True only for the user's own configs (`load_config`, `from_dict(..., trusted=True)`): only
    # then is the ``plugins`` list imported. A checkpoint's config is data (docs/security.md).
    _trusted: bool = PrivateAttr(False)


# -- loading ------------------------------------------------------------------------

def parse_override(item: str) -> tuple[list[str], Any]:
    """``a.b=c`` -> (["a", "b"], c) with ``c`` parsed as a YAML scalar."""
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected KEY.PATH=VALUE")
    key, raw = item.split("=", 1)
    parts = [p for p in key.strip().split(".")]
    if not all(parts):
        raise ConfigError(f"--set {item!r}: empty key in {key!r}")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ConfigError(f"--set {item!r}: value is not valid YAML: {exc}") from None
    return parts, value


def apply_overrides(tree: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """A copy of ``tree`` with every ``a.b=c`` applied; intermediate mappings are created
    and list items are addressed by index (``strategies.0.pseudo_labels=false``)."""
    out = copy.deepcopy(tree)
    for item in overrides:
        parts, value = parse_override(item)
        node: Any = out
        for i, part in enumerate(parts):
            where = ".".join(parts[:i + 1])
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise ConfigError(f"--set {item!r}: {'.'.join(parts[:i]) or 'the config'} is a list of "
                                      f"{len(node)}; {part!r} is not an index into it")
                part = int(part)
            elif not isinstance(node, dict):
                raise ConfigError(f"--set {item!r}: {'.'.join(parts[:i])} is {node!r}, not a mapping or list")
            if i == len(parts) - 1:
                node[part] = value
                break
            nxt = node[part] if isinstance(node, list) else node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            if isinstance(nxt, str):  # a component given by name: {type: name}
                nxt = node[part] = {"type": nxt}
            if not isinstance(nxt, (dict, list)):
                raise ConfigError(f"--set {item!r}: {where} is {nxt!r}, not a mapping or list")
            node = nxt
    return out


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml's safe loader, except that a key given twice in one mapping is an error (the
    second would silently replace the first)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True) if key_node.tag != "tag:yaml.org,2002:merge" else None
            if key is not None and key in seen:
                raise ConfigError(f"line {key_node.start_mark.line + 1}: key {key!r} is given twice in the same "
                                  "mapping (the second would silently replace the first)")
            seen.add(key)
        return super().construct_mapping(node, deep)


def read_yaml(path: str | os.PathLike) -> dict[str, Any]:
    """The mapping in a YAML file (safe loader); errors name the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = text_line(path.read_bytes(), exc.start)
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} on line {line}); "
                          "save the config as UTF-8") from None
    try:
        tree = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(tree, dict):
        raise ConfigError(f"{path}: a config is a mapping, got {type(tree).__name__}")
    return tree


def text_line(data: bytes, offset: int) -> int:
    """The 1-based line number of byte ``offset``."""
    return data.count(b"\n", 0, offset) + 1


def validation_message(exc: ValidationError, source: str, what: str = "config") -> str:
    """A pydantic error as ganforge reports it: ``source: invalid <what>:`` then one
    ``dotted.path: problem (got value)`` line per error (for any YAML-backed settings)."""
    lines = []
    for err in exc.errors():
        parts = list(err["loc"])
        if parts[:1] == ["optim"] and len(parts) > 3 and parts[2] in ("adam", "rmsprop"):
            del parts[2]  # pydantic names the union member; the config has no such level
        loc = ".".join(str(p) for p in parts) or "(top level)"
        got = f" (got {err['input']!r})" if "input" in err and err["type"] not in ("missing", "extra_forbidden") else ""
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"  {loc}: {msg}{got}")
    return f"{source}: invalid {what}:\n" + "\n".join(lines)


def from_dict(tree: Mapping[str, Any], source: str = "<config>", trusted: bool = False) -> Experiment:
    """Validate the structure (not yet the components) of a config mapping.

    ``trusted``: the mapping is the user's own, so its ``plugins`` list may be imported;
    leave it False for anything read from a checkpoint or another file you did not write.
    """
    try:
        exp = Experiment.model_validate(dict(tree))
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, source)) from None
    exp._trusted = trusted
    return exp


def load_config(path: str | os.PathLike, overrides: Iterable[str] = (), check: bool = True) -> Experiment:
    """Read (with its bases), override, interpolate, validate and (with ``check``) verify
    every component of a config. Relative ``plugins`` paths are taken relative to the file
    that names them."""
    exp = from_dict(resolve_tree(path, overrides), str(path), trusted=True)
    if check:
        verify(exp, source=str(path))
    return exp


def resolve_tree(path: str | os.PathLike, overrides: Iterable[str] = ()) -> dict[str, Any]:
    """The config mapping as validated: bases merged, ``--set`` applied, ``${...}`` replaced
    (what ``--print-config`` shows)."""
    return interpolate(apply_overrides(read_config(path), overrides), str(path))


BASE_KEY = "base"


def read_config(path: str | os.PathLike, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A config file with its ``base:`` (a path relative to it, or a list of them, merged in
    order) merged under it by `merge`; a base that leads back to a file of the chain is an
    error naming the cycle."""
    path = Path(path)
    key = path.resolve()
    if key in _chain:
        cycle = " -> ".join(str(p) for p in (*_chain[_chain.index(key):], key))
        raise ConfigError(f"{path}: base cycle: {cycle}")
    tree = read_yaml(path)
    plugins = tree.get("plugins")
    if isinstance(plugins, list):
        tree["plugins"] = [_plugin_path(p, path.parent) for p in plugins]
    bases = tree.pop(BASE_KEY, None)
    if bases is None:
        return tree
    if isinstance(bases, str):
        bases = [bases]
    if not (isinstance(bases, list) and all(isinstance(b, str) and b for b in bases)):
        raise ConfigError(f"{path}: base: expected a config path or a list of them, got {bases!r}")
    merged: dict[str, Any] = {}
    for base in bases:
        merged = merge(merged, read_config(path.parent / base, (*_chain, key)))
    return merge(merged, tree)


def merge(base: Any, over: Any) -> Any:
    """``over`` on top of ``base``: mappings merge key by key, anything else replaces. A
    component mapping naming another ``type`` replaces the base's whole (its params belong
    to the other component)."""
    if not (isinstance(base, dict) and isinstance(over, dict)):
        return copy.deepcopy(over)
    if "type" in over and "type" in base and over["type"] != base["type"]:
        return copy.deepcopy(over)
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if k in out else copy.deepcopy(v)
    return out


def interpolate(tree: dict[str, Any], source: str = "<config>") -> dict[str, Any]:
    """Every value that is exactly ``${a.b.c}`` replaced by the value at that dotted path of
    the config (itself interpolated first), so a shared value is written once:
    ``style_encoder: {style_dim: ${models.mapping.style_dim}}``."""

    def lookup(ref: str, seen: tuple[str, ...]) -> Any:
        if ref in seen:
            raise ConfigError(f"{source}: ${{{ref}}}: reference cycle {' -> '.join((*seen, ref))}")
        node: Any = tree
        for part in ref.split("."):
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise ConfigError(f"{source}: ${{{ref}}}: no such value in the config")
        return walk(node, (*seen, ref))

    def walk(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, str) and node.startswith("${") and node.endswith("}"):
            return lookup(node[2:-1].strip(), seen)
        if isinstance(node, dict):
            return {k: walk(v, seen) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, seen) for v in node]
        return node

    return walk(tree, ())


def _plugin_path(ref: Any, base: Path) -> Any:
    if isinstance(ref, str) and ref.endswith(".py") and not os.path.isabs(ref):
        return str((base / ref).resolve())
    return ref


def dump_config(exp: Experiment) -> str:
    """The resolved config as YAML (what the run folder keeps as config.yaml)."""
    return yaml.safe_dump(exp.model_dump(mode="json"), sort_keys=False)


# -- verification against the registry -----------------------------------------------

def ensure_plugins(exp: Experiment) -> list[str]:
    """Load a trusted config's local plugins into the current registry, keeping what the
    current one was loaded with (entry points or not, local plugins, disabled names); a
    config's plugin that fails to load is an error. An untrusted config's plugins are never
    imported: returns those of them that are not loaded (for `missing_plugins_hint`)."""
    if not exp.plugins:
        return []
    current = _registry.get_registry()
    loaded = {p.module for p in current.plugins if p.status == "ok"} | {p.name for p in current.plugins}
    wanted = [p for p in exp.plugins if p not in loaded and Path(p).stem not in loaded]
    if not wanted or not exp._trusted:
        return wanted
    previous = [p.module for p in current.plugins
                if p.source in ("option", "config", "direct") and p.status == "ok" and p.module]
    disabled = [p.name for p in current.plugins if p.status == "disabled"]
    autoload = any(p.source == "entrypoint" for p in current.plugins)
    try:
        _registry.load(plugins=[*previous, *wanted], disabled=disabled, autoload=autoload, source="config")
    except PluginError as exc:
        raise ConfigError(f"plugins: {exc}") from None
    return []


def missing_plugins_hint(missing: Iterable[str]) -> str:
    """How to load the plugins an untrusted config names (ganforge never imports them itself)."""
    missing = list(missing)
    flags = " ".join(f"--plugin {p}" for p in missing)
    return (f"the checkpoint was made with plugins that are not loaded: {', '.join(missing)}. "
            f"ganforge never imports code named inside a checkpoint; if you trust them, load them yourself: `ganforge {flags} COMMAND ...`, "
            f"GANFORGE_PLUGINS={','.join(missing)}, or install them")


def recipe_networks(exp: Experiment) -> tuple[dict[str, str], frozenset[str]]:
    """(role -> kind, optional roles) over the recipe and the extra strategies: a role
    is required when any of them lists it outside its ``optional_networks``."""
    roles: dict[str, str] = {}
    required: set[str] = set()
    for i, spec in enumerate([exp.strategy, *exp.strategies]):
        path = "strategy" if i == 0 else f"strategies.{i - 1}"
        cls = _registry.resolve("strategy", spec, path)[0].cls
        for role, kind in cls.networks.items():
            if roles.setdefault(role, kind) != kind:
                raise ConfigError(f"{path}: network {role!r} is a {kind} here but a {roles[role]} elsewhere")
            if role not in cls.optional_networks:
                required.add(role)
    for role in exp.condition:  # conditioners a config adds are encoders the recipe need not know
        roles.setdefault(role, "encoder")
    return roles, frozenset(set(roles) - required)


def run_optimizers(exp: Experiment) -> dict[str, tuple[str, ...]]:
    """The recipe's optimisers, with every conditioner the config adds owned by the
    optimiser that trains the generator (it learns from the generator's losses)."""
    optims = {name: tuple(roles) for name, roles in recipe_class(exp).optimizers.items()}
    extra = tuple(r for r in exp.condition if not any(r in roles for roles in optims.values()))
    if extra:
        name = next((n for n, roles in optims.items() if "generator" in roles), None)
        if name is None:
            raise ConfigError(f"condition: the recipe {exp.strategy.type!r} has no optimiser for models.generator "
                              f"to train {', '.join(extra)} with")
        optims[name] += extra
    return optims


def check_components(exp: Experiment) -> dict[str, str]:
    """Every name and params value of the config against the registry (no data needed);
    returns role -> kind of the recipe's networks. When an untrusted config's plugins are
    not loaded, an unknown component's error says which ones and how to load them."""
    missing = ensure_plugins(exp)
    try:
        return _check_components(exp)
    except GanforgeError as exc:
        if not missing:
            raise
        raise type(exc)(f"{exc}\n  {missing_plugins_hint(missing)}") from None


def _check_components(exp: Experiment) -> dict[str, str]:
    _registry.resolve("dataset", exp.data, "data")
    _registry.resolve("strategy", exp.strategy, "strategy")
    for i, spec in enumerate(exp.strategies):
        _registry.resolve("strategy", spec, f"strategies.{i}")
    kinds, optional = recipe_networks(exp)
    for role, spec in exp.models.items():
        if role not in kinds:
            known = ", ".join(sorted(kinds)) or "none"
            raise ConfigError(f"models.{role}: the recipe has no network {role!r}; its networks: {known}")
        _registry.resolve(kinds[role], spec, f"models.{role}")
    missing = [r for r in kinds if r not in exp.models and r not in optional]
    if missing:
        raise ConfigError(f"models: the recipe {exp.strategy.type!r} needs "
                          + ", ".join(f"models.{r} (a {kinds[r]})" for r in missing))
    recipe = recipe_class(exp)
    for name in exp.optim:
        if name not in recipe.optimizers:
            raise ConfigError(f"optim.{name}: the recipe {exp.strategy.type!r} has no optimiser {name!r}; "
                              f"its optimisers: {', '.join(recipe.optimizers) or 'none'}")
    for i, spec in enumerate(exp.eval.metrics):
        _registry.resolve("metric", spec, f"eval.metrics.{i}")
    if exp.train.r1.gamma > 0 and exp.train.r1.role not in kinds:
        raise ConfigError(f"train.r1.role: no network {exp.train.r1.role!r} in this recipe")
    for role in exp.train.ema.roles if exp.train.ema.enabled else ():
        if role not in kinds:
            raise ConfigError(f"train.ema.roles: no network {role!r} in this recipe")
    return kinds


def verify(exp: Experiment, data: DataInfo | None = None, source: str = "<config>") -> DataInfo:
    """Check every component of the config, then the wiring: every Condition field each
    network needs reaches it, and each network can do what the recipe needs of it
    (`ganforge.conditioning.check_wiring`). Returns the DataInfo the networks are built with.

    ``data`` is the dataset's DataInfo when the caller has already built the dataset;
    otherwise the dataset is described from its params (see `describe_data`).
    """
    from .conditioning import check_wiring

    with naming(source):
        check_components(exp)
        return check_wiring(exp, data if data is not None else describe_data(exp))


def counting_data(exp: Experiment, source: str = "<config>") -> tuple[DataInfo, list[str]]:
    """What `ganforge params` builds the networks with: the dataset described from its
    params, plus every Condition field a component reads that neither the data nor a
    strategy or encoder provides (sizes do not depend on it), with one note per such field."""
    from .conditioning import check_wiring
    from .registry.build import requirements

    with naming(source):
        kinds = check_components(exp)
        data = describe_data(exp)
        strategies = [("strategy", exp.strategy), *((f"strategies.{i}", s) for i, s in enumerate(exp.strategies))]
        provided = set(data.fields)
        for path, spec in strategies:
            cls = _registry.resolve("strategy", spec, path)[0].cls
            provided |= set(cls.provides) | set(getattr(cls, "feeds", ()))
        for role, spec in exp.models.items():
            if kinds[role] == "encoder":
                provided |= set(_registry.resolve("encoder", spec, f"models.{role}")[0].cls.provides)
        specs = [(kinds[role], spec, f"models.{role}") for role, spec in exp.models.items()]
        specs += [("strategy", spec, path) for path, spec in strategies]
        reg = _registry.get_registry()
        missing = [(path, comp, f) for kind, spec, where in specs
                   for path, comp, f in requirements(reg, kind, spec, data, where) if f not in provided]
        data = data.model_copy(update={"fields": frozenset(data.fields) | {f for *_, f in missing}})
    notes = [f"{source}: {path}: {comp} needs condition field {f!r}, which the data does not provide "
             "(counted anyway; training would refuse this config)" for path, comp, f in missing]
    try:
        with naming(source):
            return check_wiring(exp, data), notes
    except ConditionMismatch as exc:  # how fields reach the networks does not change their sizes
        return data.model_copy(update={"fields": frozenset(data.fields) | provided}), \
            [*notes, f"{exc} (counted anyway; training would refuse this config)"]


@contextlib.contextmanager
def naming(source: str) -> Iterator[None]:
    """Prefix ganforge errors raised inside with the config's file name."""
    try:
        yield
    except GanforgeError as exc:
        if str(exc).startswith(f"{source}:"):
            raise
        raise type(exc)(f"{source}: {exc}") from None


def describe_data(exp: Experiment) -> DataInfo:
    """The dataset's DataInfo. A dataset class may describe itself from its params alone
    (a classmethod ``describe(params) -> DataInfo | None``), so configs of datasets that
    are not on this machine can still be checked and their networks counted; otherwise,
    or when it returns None, the dataset is built (it reads its index) and asked."""
    record, params = _registry.resolve("dataset", exp.data, "data")
    describe = getattr(record.cls, "describe", None)
    info = describe(params) if callable(describe) else None
    return info if info is not None else _registry.build("dataset", exp.data, path="data").info()


def recipe_class(exp: Experiment) -> type[Strategy]:
    return _registry.resolve("strategy", exp.strategy, "strategy")[0].cls

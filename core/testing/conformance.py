"""`check_component`: the conformance checks every registered component must pass.

A plugin author calls ``check_component("normalizer", "sean")`` in a test; it builds the
component from its default params, feeds it a Condition synthesised from what it declares
it needs, and checks the contract a trainer relies on: output shapes, gradients reaching
every trainable parameter, state_dict round trip, ``.to()`` moving every tensor,
determinism under a seed, and a documented params model.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from ganforge.condition import Condition, FieldSpec
from ganforge.interfaces import (AdversarialLoss, DataInfo, Dataset, Discriminator, DiscriminatorOutput, Encoder,
                                 Generator, Metric, Normalizer, PairedLoss, Strategy, Upsampler)
from ganforge.registry import Registry, get_registry
from ganforge.registry.build import _requirements_of, resolve

DEFAULT_DIMS = {"B": 2, "K": 4, "N": 3, "D": 8}


@dataclass
class Checked:
    """What `check_component` built and observed, for further assertions."""

    component: Any
    condition: Condition | None
    output: Any
    checks: list[str] = field(default_factory=list)


def default_data(**overrides: Any) -> DataInfo:
    """A small DataInfo providing every built-in Condition field."""
    from ganforge.condition import field_table

    base = dict(fields=frozenset(f.name for f in field_table()), resolution=(32, 32), label_nc=4,
                num_domains=3, num_classes=3)
    base.update(overrides)
    return DataInfo(**base)


def synth_field(spec: FieldSpec, data: DataInfo, dims: dict[str, int], gen: torch.Generator) -> torch.Tensor:
    """A plausible random tensor for one Condition field, from its declared layout."""
    size = {**dims, "H": data.resolution[0], "W": data.resolution[1], "K": data.label_nc or dims["K"]}
    shape = [size[s] if s in size else int(s) for s in spec.shape.split(",")]
    if spec.name == "boxes":
        xy = torch.rand(*shape[:-1], 2, 2, generator=gen).sort(dim=-2).values.flatten(-2)
        cls = torch.randint(0, max(data.num_classes, 1), (*shape[:-1], 1), generator=gen).float()
        return torch.cat([cls, xy], dim=-1)
    if spec.dtype == "long":
        high = {"label": data.label_nc, "exemplar_label": data.label_nc, "domain": data.num_domains,
                "class_label": data.num_classes}.get(spec.name) or 4
        return torch.randint(0, high, shape, generator=gen)
    if spec.resize == "nearest":  # masks, edges, sketches are binary
        return (torch.rand(shape, generator=gen) > 0.5).float()
    if spec.name == "exemplar":
        return torch.rand(shape, generator=gen) * 2 - 1
    return torch.randn(shape, generator=gen)


def synth_condition(fields: set[str] | frozenset[str], data: DataInfo, dims: dict[str, int] | None = None,
                    seed: int = 0) -> Condition:
    """A Condition holding ``fields`` with random content consistent with ``data``."""
    from ganforge.condition import field_table

    gen = torch.Generator().manual_seed(seed)
    dims = {**DEFAULT_DIMS, **(dims or {})}
    table = field_table()
    return Condition({name: synth_field(table[name], data, dims, gen) for name in sorted(fields)})


def _float_tensors(out: Any) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out] if out.is_floating_point() else []
    if isinstance(out, DiscriminatorOutput):
        return _float_tensors(out.scores) + _float_tensors(out.features) + _float_tensors(list(out.extra.values()))
    if isinstance(out, dict):
        return [t for v in out.values() for t in _float_tensors(v)]
    if isinstance(out, (list, tuple)):
        return [t for v in out for t in _float_tensors(v)]
    return []


def _default_call(component: Any, cond: Condition, data: DataInfo, dims: dict[str, int]) -> Any:
    b, (h, w) = cond.batch_size if len(cond) else dims["B"], data.resolution
    gen = torch.Generator().manual_seed(1)
    image = torch.rand(b, data.image_channels, h, w, generator=gen) * 2 - 1
    if isinstance(component, (Normalizer, Upsampler)):
        return component(torch.randn(b, component.num_features, h, w, generator=gen), cond)
    if isinstance(component, Generator):
        return component(cond)
    if isinstance(component, (Discriminator, Encoder)):
        return component(image, cond)
    if isinstance(component, AdversarialLoss):
        return component([torch.randn(b, 1, 4, 4, generator=gen, requires_grad=True)], True, False)
    if isinstance(component, PairedLoss):
        return component(image.clone().requires_grad_(True), torch.rand_like(image) * 2 - 1)
    raise TypeError(f"check_component cannot call a {type(component).__name__}; pass call=...")


def _check_output(kind: str, comp: Any, out: Any, cond: Condition, data: DataInfo, where: str) -> None:
    b, (h, w) = cond.batch_size if len(cond) else DEFAULT_DIMS["B"], data.resolution
    if kind == "normalizer":
        assert out.shape == (b, comp.num_features, h, w), f"{where}: output shape {tuple(out.shape)} != input shape"
    elif kind == "upsampler":
        assert out.shape == (b, comp.num_features, 2 * h, 2 * w), \
            f"{where}: output shape {tuple(out.shape)}, expected {(b, comp.num_features, 2 * h, 2 * w)}"
    elif kind == "generator":
        assert out.shape == (b, data.image_channels, h, w), \
            f"{where}: image shape {tuple(out.shape)}, expected {(b, data.image_channels, h, w)}"
    elif kind == "discriminator":
        assert isinstance(out, DiscriminatorOutput) and out.scores, f"{where}: must return DiscriminatorOutput with scores"
    elif kind == "encoder":
        missing = set(comp.provides) - set(out)
        assert not missing, f"{where}: declares provides={sorted(comp.provides)} but returned no {sorted(missing)}"
    elif kind == "loss":
        assert out.dim() == 0, f"{where}: a loss must return a scalar, got shape {tuple(out.shape)}"
    for t in _float_tensors(out):
        assert torch.isfinite(t).all(), f"{where}: output has NaN/Inf"


def check_component(kind: str, name: str, params: dict | None = None, data: DataInfo | None = None,
                    runtime: dict | None = None, *, dims: dict[str, int] | None = None,
                    call: Callable[[Any, Condition], Any] | None = None,
                    registry: Registry | None = None) -> Checked:
    """Build ``kind``/``name`` and check the contract; raises AssertionError naming the failure.

    :param params: overrides of the default params (keep networks small for speed).
    :param data: the DataInfo to build against; default: every built-in field, 32x32, 4 labels.
    :param runtime: extra constructor arguments; a normalizer or upsampler gets ``num_features=8`` by default.
    :param dims: sizes of the symbolic dims in FieldSpec shapes (B, K, N, D) for synthesised fields.
    :param call: ``call(component, cond) -> output`` for components the default call cannot drive.
    :returns: a `Checked` with the component, the condition and the output.
    """
    registry = registry or get_registry()
    data = data or default_data()
    dims = {**DEFAULT_DIMS, **(dims or {})}
    record, p = resolve(registry, kind, {"type": name, **(params or {})})
    where = f"{kind} {name!r} ({record.origin()})"
    result = Checked(None, None, None)

    _check_params_documented(record, where)
    result.checks.append("params documented")
    if kind == "dataset":
        return _check_dataset(record, p, where, result)

    runtime = dict(runtime or {})
    if kind in ("normalizer", "upsampler"):
        runtime.setdefault("num_features", 8)
    needs = {f for _, _, f in _requirements_of(registry, record, p, data, kind)}
    cond = synth_condition(needs, data, dims)
    result.condition = cond

    def make(seed: int):
        torch.manual_seed(seed)
        return record.cls(p, data, **runtime)

    comp = make(0)
    result.component = comp
    if kind == "strategy":
        return _check_strategy(comp, where, result)
    if kind == "metric":
        return _check_metric(comp, cond, data, dims, where, result)

    caller = call or (lambda m, c: _default_call(m, c, data, dims))
    comp.train()
    torch.manual_seed(123)
    out = caller(comp, cond)
    _check_output(kind, comp, out, cond, data, where)
    result.output = out
    result.checks.append("forward shapes")

    trainable = [(n, q) for n, q in comp.named_parameters() if q.requires_grad]
    if trainable:
        total = sum(t.float().sum() * 1e-3 for t in _float_tensors(out))
        total.backward()
        unreached = [n for n, q in trainable if q.grad is None]
        assert not unreached, f"{where}: backward reaches no gradient for parameters {unreached[:8]}"
        result.checks.append("backward reaches every trainable parameter")

    comp.eval()
    with torch.no_grad():
        torch.manual_seed(7)
        ref = _float_tensors(caller(comp, cond))
        other = make(1).eval()
        other.load_state_dict(copy.deepcopy(comp.state_dict()))
        torch.manual_seed(7)
        again = _float_tensors(caller(other, cond))
    for a, b in zip(ref, again):
        assert torch.equal(a, b), f"{where}: a copy loaded from state_dict gives different outputs"
    result.checks.append("state_dict round trip")

    with torch.no_grad():
        torch.manual_seed(7)
        first = _float_tensors(caller(make(0).eval(), cond))
        torch.manual_seed(7)
        second = _float_tensors(caller(make(0).eval(), cond))
    for a, b in zip(first, second):
        assert torch.equal(a, b), f"{where}: same seed, different output"
    result.checks.append("same seed, same output")

    moved = make(0).to(torch.float64)
    stale = [n for n, t in [*moved.named_parameters(), *moved.named_buffers(), *_tensor_attributes(moved)]
             if t.is_floating_point() and t.dtype != torch.float64]
    assert not stale, f"{where}: .to() did not move tensors {stale[:8]} (keep them as parameters or buffers)"
    result.checks.append(".to() moves every parameter and buffer")
    return result


def _tensor_attributes(module) -> list[tuple[str, torch.Tensor]]:
    """Tensors held as plain attributes (not parameters or buffers): .to() skips them."""
    return [(f"{prefix}.{k}".lstrip("."), v) for prefix, m in module.named_modules()
            for k, v in vars(m).items() if isinstance(v, torch.Tensor)]


def _check_params_documented(record, where: str) -> None:
    undocumented = [n for n, f in record.params.model_fields.items() if not f.description]
    assert not undocumented, f"{where}: params without a description: {undocumented} (use Field(description=...))"
    assert record.summary, f"{where}: no summary (give the class a docstring or pass summary=)"


def _check_strategy(comp: Strategy, where: str, result: Checked) -> Checked:
    """Hooks as the run will validate them, and networks/optimizers that agree."""
    from ganforge.runhooks import STEP_HOOKS, strategy_problems

    assert isinstance(comp, Strategy), f"{where}: not a ganforge.Strategy"
    problems = strategy_problems(comp)
    assert not problems, f"{where}: " + "\n  ".join(problems)
    result.checks.append("hook names, @hookimpl and signatures")
    for role, role_kind in comp.networks.items():
        assert role_kind in ("generator", "discriminator", "encoder"), f"{where}: role {role!r} has kind {role_kind!r}"
    stray = sorted(set(comp.optional_networks) - set(comp.networks))
    assert not stray, f"{where}: optional_networks {stray} are not in networks {sorted(comp.networks)}"
    for opt, roles in comp.optimizers.items():
        unknown = sorted(set(roles) - set(comp.networks))
        assert not unknown, f"{where}: optimizer {opt!r} updates {unknown}, which networks does not declare"
    players = set(STEP_HOOKS.values())
    assert set(comp.may_skip) <= players, f"{where}: may_skip {sorted(comp.may_skip)} must be among {sorted(players)}"
    if comp.networks:  # a recipe: the trainer calls the steps of its updates and needs a result from each
        phases = {phase for phase, _ in comp.updates}
        for hook, player in STEP_HOOKS.items():
            assert player not in phases or hasattr(comp, hook) or player in comp.may_skip, (
                f"{where}: declares networks (a recipe) but implements no {hook}; implement it or "
                f"declare may_skip = frozenset({{{player!r}}})")
    result.checks.append("declared networks, optimizers and steps agree")
    return result


def _check_metric(comp: Metric, cond: Condition, data: DataInfo, dims: dict[str, int], where: str,
                  result: Checked) -> Checked:
    """update on two batches then compute; after reset the same batches give the same values."""
    h, w = data.resolution
    shape = (dims["B"], data.image_channels, h, w)

    def measure() -> dict[str, float]:
        gen = torch.Generator().manual_seed(3)
        comp.reset()
        for _ in range(2):
            comp.update(torch.rand(shape, generator=gen) * 2 - 1, torch.rand(shape, generator=gen) * 2 - 1, cond)
        return comp.compute()

    values = measure()
    assert isinstance(values, dict) and values, f"{where}: compute() must return a non-empty dict"
    for k, v in values.items():
        assert isinstance(v, float), f"{where}: metric value {k!r} is {type(v).__name__}, expected float"
        assert v == v and abs(v) != float("inf"), f"{where}: metric value {k!r} is {v}"
    result.checks.append("metric update on two batches, compute")
    again = measure()
    assert again == values, f"{where}: after reset() the same batches give {again}, first {values}: reset must clear every statistic"
    result.component, result.output = comp, values
    result.checks.append("reset starts over")
    return result


def _check_dataset(record, p, where: str, result: Checked) -> Checked:
    ds = record.cls(p)
    assert isinstance(ds, Dataset), f"{where}: not a ganforge.Dataset"
    info = ds.info()
    assert len(ds) > 0, f"{where}: empty dataset"
    item = ds[0]
    assert "image" in item, f"{where}: items must hold 'image'"
    assert item["image"].shape[0] == info.image_channels, f"{where}: image channels differ from info()"
    missing = [f for f in info.fields if f not in item]
    assert not missing, f"{where}: info() says the data provides {missing} but items lack them"
    result.checks.append("dataset item matches info()")
    from ganforge.condition import field_table

    table, (h, w) = field_table(), info.resolution
    for i in sorted({0, len(ds) - 1}):
        item = ds[i]
        image = item["image"]
        assert image.is_floating_point() and tuple(image.shape) == (info.image_channels, h, w), (
            f"{where}: item {i} image is {image.dtype} {tuple(image.shape)}, expected float "
            f"{(info.image_channels, h, w)} (info().resolution)")
        assert image.min() >= -1 and image.max() <= 1, f"{where}: item {i} image leaves [-1, 1]"
        for name in info.fields:
            spec = table[name]
            layout = spec.shape.split(",")[1:]  # no batch dimension in an item
            value = torch.as_tensor(item[name])
            assert value.dim() == len(layout), (
                f"{where}: item {i} field {name!r} has shape {tuple(value.shape)}, expected ({', '.join(layout)}) "
                f"without the batch dimension")
            sizes = {"H": h, "W": w}
            for axis, sym in enumerate(layout):
                expected = int(sym) if sym.isdigit() else sizes.get(sym)
                assert expected is None or value.shape[axis] == expected, (
                    f"{where}: item {i} field {name!r} has shape {tuple(value.shape)}, expected ({', '.join(layout)}) "
                    f"with H, W = {h}, {w}")
            want_long = spec.dtype == "long"
            assert (not value.is_floating_point()) == want_long, (
                f"{where}: item {i} field {name!r} is {value.dtype}, the Condition field is {spec.dtype}")
    result.component, result.output = ds, item
    result.checks.append("items: image and every field with the Condition's shape and dtype")
    return result


__all__ = ["check_component", "synth_condition", "default_data", "Checked"]

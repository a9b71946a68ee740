"""Strategies checked like installed plugins: every ``ganforge_*`` method is a run hook
with ``@hookimpl`` and the hook's argument names, and a step hook returns a result.

pluggy alone ignores a misspelt hook or a method without the marker (the strategy then
silently does nothing) and reports a wrong argument name as a raw
``PluginValidationError: Plugin '1:S'``. These checks run when a run's manager is built
(`ganforge.trainer.assemble.run_manager`) and in `ganforge.testing.check_component`.

The rule: the ``ganforge_`` prefix is reserved for hooks. A strategy method named
``ganforge_*`` must be a run hook (`RunSpecs`) decorated with ``@ganforge.hookimpl``;
anything else is an error, never ignored.
"""

from __future__ import annotations

import difflib
import inspect
import re
from typing import Any

import pluggy

from . import hookspecs
from .errors import StrategyError

RUN_HOOKS = {n: getattr(hookspecs.RunSpecs, n) for n in dir(hookspecs.RunSpecs) if n.startswith("ganforge_")}
INSTALL_HOOKS = {n for n in dir(hookspecs.InstallSpecs) if n.startswith("ganforge_")}
STEP_HOOKS = {"ganforge_discriminator_step": "discriminator", "ganforge_generator_step": "generator"}


def _where(obj: Any) -> str:
    """'file:line' of a function or class, as precise as inspect allows."""
    target = inspect.unwrap(obj)
    try:
        file = inspect.getsourcefile(target) or inspect.getfile(target)
        line = inspect.getsourcelines(target)[1]
    except (OSError, TypeError):
        return "<unknown>"
    return f"{file}:{line}"


def hook_signature(name: str) -> str:
    """``ganforge_x(self, run, batch)`` as a strategy method must spell it."""
    params = [p for p in inspect.signature(RUN_HOOKS[name]).parameters.values()]
    return f"{name}({', '.join(p.name for p in params)})"


def _argnames(func: Any) -> list[str]:
    params = list(inspect.signature(func).parameters.values())
    return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def strategy_problems(strategy: Any) -> list[str]:
    """Every hook mistake of one strategy object (or class), one message each."""
    cls = strategy if inspect.isclass(strategy) else type(strategy)
    label = f"strategy {cls.__name__} ({cls.__module__})"
    marker = hookspecs.PROJECT + "_impl"
    out = []
    for attr in sorted(a for a in dir(cls) if a.startswith("ganforge_")):
        func = getattr(cls, attr)
        if not callable(func):
            continue
        at = _where(func)
        if attr in INSTALL_HOOKS:
            out.append(f"{label} at {at}: {attr} is an installed-plugin hook; a strategy implements run hooks "
                       f"({', '.join(sorted(RUN_HOOKS))}); register components from the plugin module instead")
            continue
        if attr not in RUN_HOOKS:
            close = difflib.get_close_matches(attr, list(RUN_HOOKS), n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else f" Run hooks: {', '.join(sorted(RUN_HOOKS))}."
            out.append(f"{label} at {at}: {attr} is not a ganforge run hook.{hint} "
                       "(names starting with 'ganforge_' are reserved for hooks)")
            continue
        if not hasattr(inspect.unwrap(func), marker) and not hasattr(func, marker):
            out.append(f"{label} at {at}: {attr} lacks @ganforge.hookimpl, so it would never be called; "
                       f"decorate it (names starting with 'ganforge_' are reserved for hooks)")
            continue
        spec_args = set(_argnames(RUN_HOOKS[attr]))
        extra = [a for a in _argnames(func) if a not in spec_args]
        if extra:
            out.append(f"{label} at {at}: {attr} takes argument(s) {', '.join(map(repr, extra))} that the hook "
                       f"does not pass; the hook is {hook_signature(attr)}")
    return out


def check_strategy(strategy: Any) -> None:
    """Raise `StrategyError` listing every hook mistake of ``strategy``."""
    problems = strategy_problems(strategy)
    if problems:
        raise StrategyError("\n  ".join(problems))


def register_strategy(pm: pluggy.PluginManager, strategy: Any, name: str) -> None:
    """Validate, then register; pluggy's own validation errors are reworded to name the class."""
    check_strategy(strategy)
    try:
        pm.register(strategy, name=name)
    except pluggy.PluginValidationError as exc:
        cls = type(strategy)
        hook = re.search(r"for hook '(\w+)'", str(exc))
        at = _where(getattr(cls, hook.group(1)) if hook and hasattr(cls, hook.group(1)) else cls)
        what = f"{hook.group(1)}: " if hook else ""
        raise StrategyError(f"strategy {cls.__name__} ({cls.__module__}) at {at}: {what}"
                            f"{str(exc).splitlines()[-1]}") from None


def missing_step_result(strategies: list[Any], phase: str) -> str:
    """The message for a step hook chain that returned None for ``phase``."""
    hook = f"ganforge_{phase}_step"
    wrappers = [s for s in strategies[1:] if hasattr(type(s), hook)]
    culprits = ", ".join(f"{type(s).__name__} at {_where(getattr(type(s), hook))}" for s in wrappers)
    recipe = type(strategies[0])
    lines = [f"the {phase} step returned no result (None), so the {phase} would silently not train."]
    if wrappers:
        lines.append(f"A wrapper that forgot `return (yield)` / `return result` is the likely cause: {culprits}.")
    lines.append(f"Otherwise the recipe {recipe.__name__} ({_where(getattr(recipe, hook, recipe))}) returned None: "
                 f"return a StepResult, or declare `may_skip = frozenset({{{phase!r}}})` on the recipe when "
                 f"skipping the {phase} update is intended.")
    return " ".join(lines)

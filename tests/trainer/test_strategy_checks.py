"""Strategies are validated when a run starts, and a step hook returning None is an error
(ganforge.runhooks): the mistakes pluggy alone lets pass silently or reports as
``PluginValidationError: Plugin '1:S'``."""

from __future__ import annotations

import inspect
import types

import pytest
import yaml

import ganforge
from ganforge import registry as registry_module
from ganforge.cli import main
from ganforge.errors import StrategyError
from ganforge.registry import load, use_registry
from ganforge.runhooks import check_strategy
from ganforge.testing import short_run
from ganforge.trainer.assemble import run_manager

import tiny_plugin
from conftest import BASE, subprocess_env


class Misspelt(ganforge.Strategy):
    """Wraps the discriminator step under a misspelt name."""

    @ganforge.hookimpl(wrapper=True)
    def ganforge_discriminator_stepp(self, run, batch):
        return (yield)


class Unmarked(ganforge.Strategy):
    """A hook without @hookimpl."""

    def ganforge_after_step(self, run, step, logs):
        self.seen = step


class WrongArgs(ganforge.Strategy):
    """A hook whose argument is misnamed."""

    @ganforge.hookimpl
    def ganforge_prepare_batch(self, run, batc):
        pass


class InstallHook(ganforge.Strategy):
    """An installed-plugin hook on a strategy."""

    @ganforge.hookimpl
    def ganforge_register(self, register):
        pass


class ForgotReturn(ganforge.Strategy):
    """A wrapper that drops the recipe's result."""

    @ganforge.hookimpl(wrapper=True)
    def ganforge_discriminator_step(self, run, batch):
        yield


class SkippingRecipe(tiny_plugin.TinyRecipe):
    """The tiny recipe whose discriminator step returns None every other step."""

    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run, batch):
        if run.step % 2:
            return None
        return super().ganforge_discriminator_step(run, batch)


class DeclaredSkip(SkippingRecipe):
    """The same, declaring the skip."""

    may_skip = frozenset({"discriminator"})


@ganforge.hookimpl
def ganforge_register(register):
    register("strategy", "forgot_return", ForgotReturn)
    register("strategy", "skipping_recipe", SkippingRecipe)
    register("strategy", "declared_skip", DeclaredSkip)


@pytest.fixture
def registry():
    plugin = types.SimpleNamespace(ganforge_register=ganforge_register)
    reg = load(autoload=False, objects=[("tiny", tiny_plugin), ("checks", plugin)], make_current=False)
    with use_registry(reg):
        yield reg


def line_of(cls, name=None):
    return inspect.getsourcelines(getattr(cls, name) if name else cls)[1]


def message(strategy_cls):
    with pytest.raises(StrategyError) as info:
        run_manager([strategy_cls.__new__(strategy_cls)])  # checked before anything runs
    return str(info.value)


def test_misspelt_hook_is_an_error_with_did_you_mean():
    text = message(Misspelt)
    assert "strategy Misspelt" in text and f"{__file__}:{line_of(Misspelt, 'ganforge_discriminator_stepp')}" in text
    assert "ganforge_discriminator_stepp is not a ganforge run hook" in text
    assert "Did you mean 'ganforge_discriminator_step'?" in text


def test_hook_without_hookimpl_is_an_error():
    text = message(Unmarked)
    assert "ganforge_after_step lacks @ganforge.hookimpl" in text and "Unmarked" in text


def test_wrong_argument_name_names_class_file_line_and_signature():
    text = message(WrongArgs)
    assert f"strategy WrongArgs ({__name__}) at {__file__}:{line_of(WrongArgs, 'ganforge_prepare_batch')}" in text
    assert "argument(s) 'batc' that the hook does not pass" in text
    assert "the hook is ganforge_prepare_batch(self, run, batch)" in text


def test_install_hook_on_a_strategy_is_an_error():
    assert "ganforge_register is an installed-plugin hook" in message(InstallHook)


class NotAGenerator(ganforge.Strategy):
    """A wrapper that does not yield."""

    @ganforge.hookimpl(wrapper=True)
    def ganforge_generator_step(self, run, batch):
        return None


def test_pluggys_own_validation_errors_name_the_class_and_line():
    with pytest.raises(StrategyError) as info:
        run_manager([NotAGenerator(ganforge.NoParams(), None)])
    assert str(info.value) == (
        f"strategy NotAGenerator ({__name__}) at {__file__}:{line_of(NotAGenerator, 'ganforge_generator_step')}: "
        "ganforge_generator_step: Declared as wrapper=True or hookwrapper=True but function is not a generator function")


def test_every_mistake_is_listed_at_once():
    class Both(Misspelt, WrongArgs):
        """Two mistakes."""

    with pytest.raises(StrategyError) as info:
        check_strategy(Both)
    assert "ganforge_discriminator_stepp" in str(info.value) and "'batc'" in str(info.value)


def test_wrapper_that_forgets_to_return_is_an_error_naming_it(registry, tmp_path):
    tree = {**BASE, "strategies": ["forgot_return"]}
    with pytest.raises(StrategyError) as info:
        short_run(tree, tmp_path / "run", 1)
    text = str(info.value)
    assert text.startswith("the discriminator step returned no result (None)")
    assert f"ForgotReturn at {__file__}:{line_of(ForgotReturn, 'ganforge_discriminator_step')}" in text
    assert "`return (yield)`" in text


def test_recipe_returning_none_is_an_error_unless_declared(registry, tmp_path):
    with pytest.raises(StrategyError, match="recipe SkippingRecipe .*may_skip = frozenset"):
        short_run({**BASE, "strategy": "skipping_recipe"}, tmp_path / "a", 2)
    logs = short_run({**BASE, "strategy": "declared_skip"}, tmp_path / "b", 2)
    assert "d_loss" in logs[0] and "d_loss" not in logs[1] and "g_loss" in logs[1]


def test_cli_prints_one_error_line(tmp_path, monkeypatch, capsys):
    plugin = tmp_path / "bad_strategy.py"
    plugin.write_text(inspect.cleandoc('''
        import ganforge

        class Bad(ganforge.Strategy):
            """Misnamed argument."""

            @ganforge.hookimpl
            def ganforge_after_step(self, run, step, log):
                pass

        @ganforge.hookimpl
        def ganforge_register(register):
            register("strategy", "bad", Bad)
    '''))
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({**BASE, "strategies": ["bad"], "plugins": [str(plugin)]}))
    for key, value in subprocess_env().items():
        monkeypatch.setenv(key, value)
    previous = registry_module._current
    try:
        with pytest.raises(SystemExit) as exit_info:
            main(["train", str(config), "--out", str(tmp_path / "r")])
    finally:
        registry_module._current = previous
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "Traceback" not in err
    assert (f"error: strategy Bad (ganforge_local_bad_strategy) at {plugin}:6: ganforge_after_step takes "
            "argument(s) 'log' that the hook does not pass; the hook is ganforge_after_step(self, run, step, logs)"
            in err)

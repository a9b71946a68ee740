"""Discovery with real (fake-installed) distributions: ok, broken, duplicate, incompatible."""

import pytest

import ganforge
from ganforge import registry
from ganforge.errors import AmbiguousComponent, PluginError

OK = '''
import ganforge
from torch import nn

GANFORGE_API = "1.0"

class Ident(ganforge.Normalizer):
    """Identity normalizer."""
    def forward(self, x, cond):
        return x

@ganforge.hookimpl
def ganforge_register(register):
    register("normalizer", "ident", Ident)
'''

BROKEN = '''
raise RuntimeError("boom at import")
'''


@pytest.fixture(autouse=True)
def _restore_registry():
    previous = registry._current
    yield
    registry._current = previous


def _by_name(reg):
    return {p.name: p for p in reg.plugins}


def test_ok_broken_and_duplicate_plugins(fake_dist):
    fake_dist("gf-ok", "1.2", "gf_ok", OK)
    fake_dist("gf-broken", "0.1", "gf_broken", BROKEN)
    fake_dist("gf-dup", "3.0", "gf_dup", OK)
    reg = registry.load(disabled=["core"])
    plugins = _by_name(reg)
    assert plugins["gf_ok"].status == "ok" and plugins["gf_ok"].distribution == "gf-ok"
    assert plugins["gf_ok"].version == "1.2" and plugins["gf_ok"].components == 1
    assert plugins["gf_broken"].status == "failed"
    assert "RuntimeError: boom at import" in plugins["gf_broken"].error
    with pytest.raises(AmbiguousComponent) as err:
        reg.get("normalizer", "ident")
    msg = str(err.value)
    assert "gf_ok (gf-ok 1.2) -> use 'gf_ok/ident'" in msg and "gf_dup (gf-dup 3.0) -> use 'gf_dup/ident'" in msg
    assert reg.get("normalizer", "gf_dup/ident").distribution == "gf-dup"


def test_strict_mode_fails_on_broken_plugin_and_conflicts(fake_dist):
    fake_dist("gf-broken", "0.1", "gf_broken", BROKEN)
    fake_dist("gf-ok", "1.2", "gf_ok", OK)
    fake_dist("gf-dup", "3.0", "gf_dup", OK)
    with pytest.raises(PluginError) as err:
        registry.load(disabled=["core"], strict=True)
    assert "gf_broken (gf-broken 0.1) failed: RuntimeError: boom at import" in str(err.value)
    assert "normalizer 'ident' registered by gf_dup (gf-dup 3.0) and gf_ok (gf-ok 1.2)" in str(err.value)


def test_disable_by_name_or_distribution_and_autoload_switch(fake_dist, monkeypatch):
    fake_dist("gf-ok", "1.2", "gf_ok", OK)
    assert _by_name(registry.load(disabled=["gf-ok", "core"]))["gf_ok"].status == "disabled"
    assert _by_name(registry.load(disabled=["gf_ok", "core"]))["gf_ok"].status == "disabled"
    monkeypatch.setenv("GANFORGE_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert "gf_ok" not in _by_name(registry.load())


def test_incompatible_api_and_unknown_hook_are_named(fake_dist):
    fake_dist("gf-old", "9.0", "gf_old", 'GANFORGE_API = "0.3"\n')
    fake_dist("gf-future", "2.0", "gf_future", '''
import ganforge

@ganforge.hookimpl
def ganforge_register_models(register):
    pass
''')
    plugins = _by_name(registry.load(disabled=["core"]))
    assert plugins["gf_old"].status == "incompatible"
    assert "written for ganforge plugin API 0.3" in plugins["gf_old"].error
    assert plugins["gf_future"].status == "incompatible"
    assert "implements hook 'ganforge_register_models'" in plugins["gf_future"].error


def test_local_plugins_by_file_module_and_env(tmp_path, monkeypatch, throwaway_plugin):
    path = throwaway_plugin(OK, name="lab_norms")
    reg = registry.load(plugins=[str(path)], autoload=False)
    assert _by_name(reg)["lab_norms"].source == "option"
    assert reg.get("normalizer", "ident").plugin == "lab_norms"
    monkeypatch.setenv("GANFORGE_PLUGINS", str(path))
    reg = registry.load(autoload=False)
    assert _by_name(reg)["lab_norms"].source == "env"


def test_same_distribution_twice_on_path_loads_once(fake_dist, tmp_path, monkeypatch):
    site = fake_dist("gf-ok", "1.2", "gf_ok", OK)
    copy = tmp_path / "site2"
    import shutil

    shutil.copytree(site, copy)
    monkeypatch.syspath_prepend(str(copy))
    reg = registry.load(disabled=["core"])
    assert [p.name for p in reg.plugins].count("gf_ok") == 1
    assert reg.get("normalizer", "ident").plugin == "gf_ok"


def test_registration_never_depends_on_import_side_effects(fake_dist):
    fake_dist("gf-ok", "1.2", "gf_ok", OK)
    import importlib

    importlib.import_module("gf_ok")  # importing registers nothing by itself
    reg = registry.load(autoload=False)
    assert reg.records() == [] and reg.plugins == ()
    assert ganforge.get_registry() is reg


def test_requested_plugin_that_fails_is_an_error(tmp_path, monkeypatch, throwaway_plugin):
    broken = throwaway_plugin(BROKEN, name="lab_broken")
    with pytest.raises(PluginError) as err:
        registry.load(plugins=[str(broken)], autoload=False)
    assert str(err.value).startswith(f"plugin 'lab_broken' ({broken}) requested by --plugin failed: "
                                      "RuntimeError: boom at import")
    assert f"(at {broken}:2)" in str(err.value)
    monkeypatch.setenv("GANFORGE_PLUGINS", str(broken))
    with pytest.raises(PluginError, match="requested by GANFORGE_PLUGINS failed"):
        registry.load(autoload=False)
    monkeypatch.delenv("GANFORGE_PLUGINS")
    with pytest.raises(PluginError, match="requested by --plugin failed: ModuleNotFoundError"):
        registry.load(plugins=["no_such_module_xyz"], autoload=False)


def test_unknown_name_mentions_plugins_that_failed_to_load(fake_dist):
    fake_dist("gf-clade", "0.2", "gf_clade", BROKEN)
    reg = registry.load(disabled=["core"])
    with pytest.raises(ganforge.ComponentNotFound) as err:
        reg.get("normalizer", "clade")
    assert ("Plugins that failed to load and might provide it: gf_clade (failed: RuntimeError: boom at import"
            in str(err.value))


def test_every_command_names_a_failed_entry_point_on_one_stderr_line(fake_dist, capsys, monkeypatch):
    from ganforge.cli import main

    fake_dist("gf-broken", "0.1", "gf_broken", BROKEN)
    main(["components", "normalizer", "--json"])  # the command still works
    out, err = capsys.readouterr()
    assert '"name": "spade"' in out
    err = err.splitlines()
    named = [line for line in err if "gf_broken" in line]
    assert len(named) == 1 and named[0].startswith("warning: plugin 'gf_broken' (gf-broken) failed: RuntimeError")
    assert named[0].endswith("`ganforge plugins` lists every plugin")


def test_api_declaration_rule(fake_dist):
    fake_dist("gf-undeclared", "1.0", "gf_undeclared", OK.replace('GANFORGE_API = "1.0"\n', ""))
    fake_dist("gf-newer", "1.0", "gf_newer", OK.replace('"1.0"', '"1.7"').replace('"ident"', '"ident2"'))
    fake_dist("gf-major", "1.0", "gf_major", OK.replace('"1.0"', '"2.0"'))
    plugins = _by_name(registry.load(disabled=["core"]))
    assert plugins["gf_undeclared"].status == "ok"
    assert plugins["gf_undeclared"].warnings == (
        'declares no GANFORGE_API; add GANFORGE_API = "1.0" to gf_undeclared so an incompatible ganforge is detected',)
    assert plugins["gf_newer"].status == "ok" and "newer than this ganforge's 1.0" in plugins["gf_newer"].warnings[0]
    assert plugins["gf_major"].status == "incompatible" and plugins["gf_major"].components == 0

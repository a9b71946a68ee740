"""The CLI: in subprocesses where the process boundary matters (exit codes, a broken
plugin at start-up), in-process through `main` elsewhere to keep the suite fast."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from ganforge import registry
from ganforge.cli import main

BROKEN = "raise ImportError('this plugin is broken on purpose')\n"
LOCAL = textwrap.dedent('''
    import ganforge

    class Ident(ganforge.Normalizer):
        """Identity normalizer of a lab's local plugin."""
        def forward(self, x, cond):
            return x

    @ganforge.hookimpl
    def ganforge_register(register):
        register("normalizer", "lab_ident", Ident, paper="none")

    @ganforge.hookimpl
    def ganforge_cli(group):
        @group.command(name="lab-hello")
        def hello():
            "Say hello from a plugin command."
            print("hello from the lab plugin")
''')


def ganforge(*args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "ganforge.cli", *args], capture_output=True, text=True,
                          env=full_env, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"ganforge {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def ganforge_inproc(capsys, *args: str) -> str:
    """Run `main` in this process; returns stdout, raises on a non-zero exit."""
    previous = registry._current
    try:
        main(list(args))
    except SystemExit as exc:
        if exc.code:
            raise AssertionError(f"ganforge {' '.join(args)} exited {exc.code}: {capsys.readouterr().err}")
    finally:
        registry._current = previous
    return capsys.readouterr().out


@pytest.fixture
def local_plugins(tmp_path):
    (tmp_path / "lab_plugin.py").write_text(LOCAL)
    (tmp_path / "broken_plugin.py").write_text(BROKEN)
    return tmp_path


def test_plugins_json_lists_core_ok(capsys):
    out = json.loads(ganforge_inproc(capsys, "plugins", "--json"))
    core = {p["name"]: p for p in out["plugins"]}["core"]
    assert core["status"] == "ok" and core["distribution"] == "ganforge" and core["components"] > 0
    assert out["conflicts"] == []


def test_broken_requested_plugin_is_an_error_and_others_still_work(local_plugins):
    env = {"GANFORGE_PLUGINS": f"{local_plugins / 'broken_plugin.py'},{local_plugins / 'lab_plugin.py'}"}
    proc = ganforge("plugins", "--json", env=env, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: plugin 'broken_plugin' ({local_plugins / 'broken_plugin.py'}) requested by "
                                  "GANFORGE_PLUGINS failed: ImportError: this plugin is broken on purpose")
    env = {"GANFORGE_PLUGINS": str(local_plugins / "lab_plugin.py")}
    assert "hello from the lab plugin" in ganforge("lab-hello", env=env).stdout


def test_plugin_option_components_and_disable(local_plugins, capsys):
    path = str(local_plugins / "lab_plugin.py")
    comps = json.loads(ganforge_inproc(capsys, "--plugin", path, "components", "normalizer", "lab_*", "--json"))
    assert [(c["name"], c["plugin"]) for c in comps] == [("lab_ident", "lab_plugin")]
    listed = json.loads(ganforge_inproc(capsys, "--plugin", path, "-p", "no:lab_plugin", "plugins", "--json"))
    assert {p["name"]: p["status"] for p in listed["plugins"]}["lab_plugin"] == "disabled"


def test_describe_shows_params_and_needs(capsys):
    info = json.loads(ganforge_inproc(capsys, "describe", "dataset", "synthetic", "--json"))
    assert info["kind"] == "dataset" and info["params"]
    assert all(p["doc"] for p in info["params"])
    text = ganforge_inproc(capsys, "describe", "dataset", "synthetic")
    assert "params:" in text and "resolution" in text


def test_describe_shows_literal_choices_and_components_matches_across_kinds(capsys):
    info = json.loads(ganforge_inproc(capsys, "describe", "strategy", "diffaugment", "--json"))
    policy = {p["name"]: p for p in info["params"]}["policy"]
    assert policy["choices"] == ["color", "translation", "cutout"]
    assert 'policy: list (choices: "color", "translation", "cutout")' in ganforge_inproc(
        capsys, "describe", "strategy", "diffaugment")
    comps = json.loads(ganforge_inproc(capsys, "components", "diff*", "--json"))
    assert [(c["kind"], c["name"]) for c in comps] == [("strategy", "diffaugment")]
    assert {c["kind"] for c in json.loads(ganforge_inproc(capsys, "components", "s*", "--json"))} >= {
        "dataset", "metric", "strategy"}


def test_unknown_component_is_a_clear_error_not_a_traceback():
    proc = ganforge("describe", "normalizer", "spaed", check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: no normalizer named 'spaed'") and "Traceback" not in proc.stderr


def test_schema_is_valid_json_schema_with_components(capsys):
    schema = json.loads(ganforge_inproc(capsys, "schema"))
    assert schema["title"] == "ganforge experiment"
    assert "synthetic" in schema["$defs"]["kind_dataset"]["then"]["enum"]
    assert schema["$defs"]["dataset.core.synthetic"]["properties"]["type"]["enum"] == ["synthetic", "core/synthetic"]
    assert schema["$defs"]["experiment"]["properties"]["data"]["$ref"] == "#/$defs/kind_dataset"

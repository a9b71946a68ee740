"""`ganforge new-plugin` round trip: create, install, discover, and its own tests pass."""

import json
import os
import subprocess
import sys

import pytest

from ganforge.errors import GanforgeError
from ganforge.scaffold import SCAFFOLD_KINDS, create_plugin


def run(*cmd, env=None, cwd=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=cwd,
                          timeout=300)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


KINDS = {"normalizer": ("lab_norm", "lab_norm_film", 3), "strategy": ("lab_aug", "lab_aug_instance_noise", 4),
         "metric": ("lab_metric", "lab_metric_color_stats", 3), "dataset": ("lab_data", "lab_data_folder", 4)}


def test_new_plugin_of_every_kind_installs_is_discovered_and_its_tests_pass(tmp_path):
    """One plugin per --kind, installed together by one pip call, tested by one pytest run."""
    assert set(KINDS) == set(SCAFFOLD_KINDS)
    roots = [create_plugin(name, tmp_path, kind) for kind, (name, _, _) in KINDS.items() if kind != "strategy"]
    run(sys.executable, "-m", "ganforge.cli", "new-plugin", "lab_aug", "--kind", "strategy", "--dir", str(tmp_path),
        env={"GANFORGE_DISABLE_PLUGIN_AUTOLOAD": "1"})  # the command itself, without loading every plugin
    roots.append(tmp_path / "ganforge-lab-aug")
    site = tmp_path / "site"
    run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(site),
        *map(str, roots))
    env = {"PYTHONPATH": str(site)}
    comps = json.loads(run(sys.executable, "-m", "ganforge.cli", "components", "lab_*", "--json", env=env).stdout)
    assert sorted((c["kind"], c["name"], c["distribution"]) for c in comps) == sorted(
        (kind, component, f"ganforge-{name.replace('_', '-')}") for kind, (name, component, _) in KINDS.items())
    tests = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *[str(r / "tests") for r in roots],
                env=env, cwd=tmp_path)
    assert f"{sum(n for *_, n in KINDS.values())} passed" in tests.stdout


def test_scaffold_refuses_bad_names_and_existing_folders(tmp_path):
    with pytest.raises(GanforgeError, match="lower case"):
        create_plugin("Bad-Name", tmp_path)
    create_plugin("ok", tmp_path)
    with pytest.raises(GanforgeError, match="already exists"):
        create_plugin("ok", tmp_path)
    with pytest.raises(GanforgeError, match="new-plugin scaffolds normalizer, strategy, metric, dataset"):
        create_plugin("other", tmp_path, kind="loss")

"""`ganforge new-plugin` round trip: create, install, discover, and its own tests pass."""

import json
import os
import subprocess
import sys

import pytest

from ganforge.errors import GanforgeError
from ganforge.scaffold import create_plugin


def run(*cmd, env=None, cwd=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=cwd,
                          timeout=300)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_new_plugin_installs_is_discovered_and_its_tests_pass(tmp_path):
    run(sys.executable, "-m", "ganforge.cli", "new-plugin", "lab_film", "--dir", str(tmp_path))
    root = tmp_path / "ganforge-lab-film"
    site = tmp_path / "site"
    run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(site),
        str(root))
    env = {"PYTHONPATH": str(site)}
    comps = json.loads(run(sys.executable, "-m", "ganforge.cli", "components", "normalizer", "lab_*", "--json",
                           env=env).stdout)
    assert [(c["name"], c["distribution"]) for c in comps] == [("lab_film_film", "ganforge-lab-film")]
    tests = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / "tests"), env=env,
                cwd=root)
    assert "3 passed" in tests.stdout


def test_scaffold_refuses_bad_names_and_existing_folders(tmp_path):
    with pytest.raises(GanforgeError, match="lower case"):
        create_plugin("Bad-Name", tmp_path)
    create_plugin("ok", tmp_path)
    with pytest.raises(GanforgeError, match="already exists"):
        create_plugin("ok", tmp_path)

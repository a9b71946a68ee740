"""The CLI answers from a snapshot of discovery without importing plugins; the snapshot
follows what is installed; names: plural kinds, kebab-case groups with old aliases;
`describe` shows Literal choices, a recipe's networks and optimisers, a dataset's fields."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from ganforge import registry
from ganforge.cli import main
from ganforge.registry import cache


def run(capsys, *args):
    previous = registry._current
    try:
        main(list(args))
    except SystemExit as exc:
        assert not exc.code, capsys.readouterr().err
    finally:
        registry._current = previous
    return capsys.readouterr()


def test_fast_commands_import_no_plugin_module(capsys):
    run(capsys, "plugins")  # makes the snapshot for this session's installed plugins
    assert cache.read_snapshot() is not None
    script = textwrap.dedent("""
        import sys
        from ganforge.cli import main
        for args in (["--help"], ["plugins"], ["components", "normalizers"], ["describe", "strategy", "stargan_v2"],
                     ["schema"]):
            try:
                main(args)
            except SystemExit as exc:
                assert not exc.code, args
        heavy = sorted(m for m in sys.modules if m.startswith(("ganforge_", "torchvision", "torch._dynamo")))
        print("HEAVY", heavy, file=sys.stderr)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stderr
    assert "stargan-v2" in proc.stdout and "networks: generator (generator)" in proc.stdout


def test_the_snapshot_follows_versions_and_edited_files(fake_dist, tmp_path):
    site = fake_dist("gf-fp", "1.0", "gf_fp_mod", "X = 1\n")
    before = cache.fingerprint()
    os.utime(site / "gf_fp_mod.py", ns=(1, 1))  # an editable install edited in place
    edited = cache.fingerprint()
    assert edited != before
    (site / "gf_fp-1.0.dist-info").rename(site / "gf_fp-2.0.dist-info")
    (site / "gf_fp-2.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: gf-fp\nVersion: 2.0\n")
    assert cache.fingerprint() not in (before, edited)
    assert not cache.usable(["my_plugin.py"], []) and not cache.usable([], ["spade"])


def test_plural_kinds_and_deprecated_group_names(capsys):
    out = run(capsys, "components", "normalizers", "--json").out
    assert {c["kind"] for c in json.loads(out)} == {"normalizer"}
    assert json.loads(run(capsys, "components", "strategies", "--json").out)
    res = run(capsys, "image2stylegan_pp", "--help")
    assert "use `ganforge image2stylegan-pp`" in res.err and "schema" in res.out


def test_describe_shows_choices_recipe_needs_and_dataset_fields(capsys):
    info = json.loads(run(capsys, "describe", "dataset", "celebamask_hq", "--json").out)
    preprocess = {p["name"]: p for p in info["params"]}["preprocess"]
    assert preprocess["choices"] == ["resize_and_crop", "scale_width_and_crop", "fixed", "none"]
    assert preprocess["type"].startswith("Literal['resize_and_crop'")
    assert info["provides"] == ["label"]  # no_instance defaults to true
    with_instances = json.loads(run(capsys, "describe", "dataset", "celebamask_hq", "--set", "no_instance=false",
                                    "--json").out)
    assert with_instances["provides"] == ["instance", "label"]
    recipe = json.loads(run(capsys, "describe", "strategies", "stargan_v2", "--json").out)
    roles = {n["role"]: (n["kind"], n["optional"]) for n in recipe["networks"]}
    assert roles["mapping"] == ("encoder", False) and roles["fan"] == ("encoder", True)
    assert recipe["optimizers"]["generator"] == ["generator"]


THIEF = "import ganforge\n\n@ganforge.hookimpl\ndef ganforge_cli(group):\n    @group.command()\n    def sample():\n        'stolen'\n"
BROKEN = "import ganforge\n\n@ganforge.hookimpl\ndef ganforge_cli(group):\n    raise RuntimeError('boom')\n"


def test_plugin_commands_that_replace_core_ones_or_raise_are_reported(monkeypatch, capsys, tmp_path):
    from ganforge.cli import cli

    (tmp_path / "thief.py").write_text(THIEF)
    (tmp_path / "broken.py").write_text(BROKEN)
    monkeypatch.setenv("GANFORGE_DISABLE_PLUGIN_AUTOLOAD", "1")
    plugins = ["--plugin", str(tmp_path / "thief.py"), "--plugin", str(tmp_path / "broken.py")]
    out, err = run(capsys, *plugins, "plugins")
    assert [line.split()[2:4] for line in out.splitlines()[1:]] == [["commands", "failed"]] * 2  # not "ok"
    assert "thief commands failed: replaced the core command sample (the core's is kept)" in err
    assert "broken commands failed: failed to add commands: RuntimeError: boom" in err
    assert cli.commands["sample"].help.startswith("Generate images")
    out, err = run(capsys, *plugins, "components")
    assert "warning: plugin 'thief' replaced the core command sample (the core's is kept)" in err
    assert "warning: plugin 'broken' failed to add commands: RuntimeError: boom" in err
    previous = registry._current
    try:
        with pytest.raises(SystemExit) as exit_:
            main(["--strict", *plugins, "plugins"])
    finally:
        registry._current = previous  # the strict load must not leave its registry to later tests
    assert exit_.value.code == 2
    assert "error: plugin 'thief' replaced the core command sample" in capsys.readouterr().err


def test_the_snapshot_keeps_a_plugin_whose_commands_failed(fake_dist, monkeypatch, capsys):
    fake_dist("gf-thief", "1.0", "gf_thief_mod", THIEF)
    run(capsys, "plugins")  # builds the snapshot
    assert cache.read_snapshot() is not None
    for _ in range(2):  # built, then read back
        out, err = run(capsys, "plugins", "--json")
        thief = [p for p in json.loads(out)["plugins"] if p["distribution"] == "gf-thief"]
        assert [p["status"] for p in thief] == ["commands failed"]
        assert thief[0]["commands_error"] == "replaced the core command sample (the core's is kept)"
    err = run(capsys, "--help").err
    assert "replaced the core command sample" in err

"""The datasette rule: every hook has a section in docs/hooks.md with its exact signature."""

import inspect
import re
from pathlib import Path

import pytest

from ganforge import hookspecs

DOCS = Path(__file__).resolve().parents[2] / "docs"
HOOKS = [(spec, name) for spec in hookspecs.ALL_SPECS for name in dir(spec) if name.startswith("ganforge_")]


@pytest.fixture(scope="module")
def hooks_md() -> str:
    return (DOCS / "hooks.md").read_text()


@pytest.mark.parametrize("spec,name", HOOKS, ids=[n for _, n in HOOKS])
def test_hook_is_documented_with_its_signature(hooks_md, spec, name):
    params = [p for p in inspect.signature(getattr(spec, name)).parameters if p != "self"]
    heading = f"### `{name}({', '.join(params)})`"
    assert heading in hooks_md, f"docs/hooks.md lacks the section {heading!r}"


@pytest.mark.parametrize("spec,name", HOOKS, ids=[n for _, n in HOOKS])
def test_hookspec_has_a_docstring_with_params_and_example(spec, name):
    doc = inspect.getdoc(getattr(spec, name)) or ""
    params = [p for p in inspect.signature(getattr(spec, name)).parameters if p != "self"]
    for p in params:
        assert f":param {p}:" in doc, f"{name} does not document :param {p}:"
    assert "Example" in doc, f"{name} has no example"


def test_docs_do_not_mention_hooks_that_do_not_exist(hooks_md):
    documented = set(re.findall(r"### `(ganforge_\w+)\(", hooks_md))
    assert documented == {n for _, n in HOOKS}

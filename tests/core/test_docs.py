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


def condition_fields_table() -> str:
    """The Markdown table of the built-in Condition fields, as docs/writing-plugins.md holds it."""
    from ganforge.condition import BUILTIN_FIELDS

    dtypes = {"long": "int64", "float": "float32"}
    rows = ["| field | shape | dtype | resize | meaning |", "|---|---|---|---|---|"]
    rows += [f"| `{f.name}` | `({f.shape})` | {dtypes[f.dtype]} | {f.resize} | {f.doc} |" for f in BUILTIN_FIELDS]
    return "\n".join(rows)


def test_condition_fields_reference_matches_the_code():
    text = (DOCS / "writing-plugins.md").read_text()
    block = text.split("<!-- condition-fields -->\n", 1)[1].split("\n<!-- /condition-fields -->", 1)[0]
    assert block == condition_fields_table(), (
        "docs/writing-plugins.md's Condition fields table is stale; paste "
        "tests.core.test_docs.condition_fields_table() between the condition-fields markers")


def test_worked_examples_in_writing_plugins_pass_check_component(isolated_registry, tmp_path):
    """Sections 1-4 of docs/writing-plugins.md run as written and conform."""
    import numpy as np
    from PIL import Image

    import ganforge
    from ganforge.testing import check_component, default_data

    text = (DOCS / "writing-plugins.md").read_text().split("## 5.", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    found = {}
    for block in blocks:
        namespace: dict = {}
        exec(compile(block, "writing-plugins.md", "exec"), namespace)
        for value in namespace.values():
            if isinstance(value, type) and value.__module__ == "builtins" and hasattr(value, "kind"):
                found[value.kind] = value
    assert set(found) == {"normalizer", "strategy", "metric", "dataset"}

    class Examples:
        @staticmethod
        @ganforge.hookimpl
        def ganforge_register(register):
            for kind, cls in found.items():
                register(kind, f"doc_{kind}", cls)

    isolated_registry(("examples", Examples))
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.png")
    check_component("normalizer", "doc_normalizer", data=default_data(label_nc=3))
    assert "hook names, @hookimpl and signatures" in check_component("strategy", "doc_strategy").checks
    assert "reset starts over" in check_component("metric", "doc_metric").checks
    check_component("dataset", "doc_dataset", {"root": str(tmp_path), "resolution": 8})

"""`ganforge schema` against every shipped config (with the `jsonschema` package, draft
2020-12), and typos that each get an error at their exact path."""

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from ganforge import registry
from ganforge.config import resolve_tree
from ganforge.schema import experiment_schema

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted(ROOT.glob("plugins/*/configs/**/*.yaml"))
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)", re.M)


@pytest.fixture(scope="module")
def validator():
    schema = experiment_schema(registry.get_registry())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def schema_for(path: Path, validator):
    """The file's own schema when its modeline names one (application settings), else the
    experiment schema."""
    own = MODELINE.search(path.read_text())
    if own is None:
        return validator
    schema = json.loads((path.parent / own.group(1)).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_every_shipped_config_validates(validator):
    assert len(CONFIGS) > 60
    problems = []
    for path in CONFIGS:
        own = MODELINE.search(path.read_text())
        tree = yaml.safe_load(path.read_text()) if own else resolve_tree(path)  # bases merged
        error = jsonschema.exceptions.best_match(schema_for(path, validator).iter_errors(tree))
        if error is not None:
            problems.append(f"{path.relative_to(ROOT)}: {error.json_path}: {error.message[:200]}")
    assert not problems, "\n".join(problems)


BASE = "plugins/spade/configs/synthetic.yaml"
TYPOS = [
    (lambda c: c["models"]["generator"].update(type="spadee"), "$.models.generator.type", "'spadee' is not one of"),
    (lambda c: c["models"]["generator"].update(ngff=16), "$.models.generator", "('ngff' was unexpected)"),
    (lambda c: c["models"]["generator"].update(ngf="sixteen"), "$.models.generator.ngf",
     "'sixteen' is not of type 'integer'"),
    (lambda c: c["models"]["generator"].update(norm={"type": "seann"}), "$.models.generator.norm.type",
     "'seann' is not one of"),
    (lambda c: c["models"]["generator"]["norm"].update(nhiden=8), "$.models.generator.norm", "('nhiden' was unexpected)"),
    (lambda c: c["models"]["discriminator"].update(n_layers=1.5), "$.models.discriminator.n_layers",
     "1.5 is not of type 'integer'"),
    (lambda c: c["data"].update(type="synthetik"), "$.data.type", "'synthetik' is not one of"),
    (lambda c: c["strategy"].update(gan_loss="hinje"), "$.strategy.gan_loss", "'hinje' is not one of"),
    (lambda c: c["train"].update(stpes=10), "$.train", "('stpes' was unexpected)"),
    (lambda c: c["train"].update(precision="fp8"), "$.train.precision", "'fp8' is not one of"),
    (lambda c: c["optim"]["generator"].update(lr="fast"), "$.optim.generator.lr", "'fast' is not of type 'number'"),
    (lambda c: c["optim"].update(generator={"type": "sgd"}), "$.optim.generator.type", "'sgd' is not one of"),
    (lambda c: c.update(eval={"metrics": ["fidd"]}), "$.eval.metrics[0]", "'fidd' is not one of"),
]


@pytest.mark.parametrize("edit,path,message", TYPOS, ids=[t[1] + " " + t[2][:12] for t in TYPOS])
def test_typo_gets_an_error_at_its_path(validator, edit, path, message):
    config = copy.deepcopy(yaml.safe_load((ROOT / BASE).read_text()))
    edit(config)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    assert error is not None and error.json_path == path and message in error.message, error


def test_schema_out_writes_the_file(tmp_path, capsys):
    from ganforge.cli import main

    previous = registry._current
    try:
        main(["schema", "--out", str(tmp_path / "ganforge.schema.json")])
    finally:
        registry._current = previous
    written = json.loads((tmp_path / "ganforge.schema.json").read_text())
    assert written["title"] == "ganforge experiment"
    models = written["$defs"]["experiment"]["properties"]["models"]
    assert models["properties"]["generator"] == {"$ref": "#/$defs/kind_generator"}


def test_a_config_with_a_base_is_checked_once_merged(validator):
    assert validator.is_valid({"base": "cityscapes.yaml", "models": {"generator": {"ngf": 32}}})
    assert not validator.is_valid({"base": 3})
    assert not validator.is_valid({"models": {"generator": {"ngf": 32}}})  # no base: a whole config

"""The shipped configs parse, and the synthetic one passes the pre-training check."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ganforge.config import from_dict, resolve_tree, verify

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


@pytest.mark.parametrize("name", ["synthetic", "daytime", "wikiart"])
def test_config_parses(name, ganforge_registry):
    exp = from_dict(resolve_tree(CONFIGS / f"{name}.yaml"), source=name)  # bases merged
    assert exp.strategy.type == "hidt" and set(exp.models) == {"generator", "style_encoder", "discriminator"}
    g, e = exp.models["generator"].params, exp.models["style_encoder"].params
    assert g.get("style_dim", 3) == e.get("style_dim", 3) == exp.models["discriminator"].params.get("style_dim", 3)


def test_synthetic_config_verifies(ganforge_registry):
    info = verify(from_dict(yaml.safe_load((CONFIGS / "synthetic.yaml").read_text())))
    assert info.label_nc == 9 and {"label", "source", "style"} <= info.fields

"""The shipped configs validate (datasets described from their params, no files needed),
and the ADE20K config builds the official networks."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ganforge.config import load_config, verify
from ganforge.trainer import build_networks

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


@pytest.mark.parametrize("name", ["synthetic", "ade20k", "celebamask_hq", "deepfashion"])
def test_config_validates(registry, name):
    exp = load_config(CONFIGS / f"{name}.yaml")
    info = verify(exp, source=name)
    assert {"label", "exemplar", "exemplar_label", "warped_exemplar"} <= info.fields


def test_ade20k_config_has_the_official_parameter_counts(registry):
    exp = load_config(CONFIGS / "ade20k.yaml")
    with torch.device("meta"):
        models, _ = build_networks(exp, verify(exp))
    counts = {role: sum(p.numel() for p in m.parameters()) for role, m in models.items()}
    # official netG 96,664,260 and netCorr 59,315,716; netD 6,862,194 less its unused decoder (861,422)
    assert counts == {"generator": 96_664_260, "correspondence": 59_315_716, "discriminator": 6_000_772}

"""The shipped configs: valid against the registry, and the paper's ones build the
official networks (counts of test_params)."""

from pathlib import Path

import torch
from torch import nn

import ganforge
from ganforge.config import check_components, load_config

from .helpers import data_info
from .test_params import OFFICIAL, count

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
PAPER_CONFIGS = ("horse2zebra", "summer2winter", "vangogh2photo", "cat2dog")


def networks(exp, data, kinds):
    return nn.ModuleDict({role: ganforge.build(kinds[role], spec, data, check=False)
                          for role, spec in exp.models.items()})


def test_paper_configs_share_the_official_setting(ganforge_registry):
    """The four settings differ only in their data (as the official runs differ only in --dataset)."""
    dumps = []
    for name in PAPER_CONFIGS:
        exp = load_config(CONFIGS / f"{name}.yaml", check=False)
        check_components(exp)
        assert exp.data.params["root"] == f"data/{name}"
        dumps.append(exp.model_dump(exclude={"data"}))
    assert all(d == dumps[0] for d in dumps[1:])


def test_paper_config_builds_the_official_networks(ganforge_registry):
    exp = load_config(CONFIGS / "horse2zebra.yaml", check=False)
    kinds = check_components(exp)
    assert exp.strategy.type == "nice_gan" and exp.optim["generator"].lr == 1e-4
    assert exp.optim["discriminator"].weight_decay == 1e-4 and exp.optim["generator"].betas == (0.5, 0.999)
    assert exp.schedule.decay_steps * 2 == exp.train.steps
    size = exp.data.params["crop_size"]
    data = ganforge.DataInfo(fields=frozenset({"domain"}), num_domains=2, resolution=(size, size))
    with torch.device("meta"):
        nets = networks(exp, data, kinds)
    assert {role: count(m) for role, m in nets.items()} == {
        "generator_ab": OFFICIAL["generator_full"], "generator_ba": OFFICIAL["generator_full"],
        "discriminator_a": OFFICIAL["discriminator"], "discriminator_b": OFFICIAL["discriminator"]}


def test_light_override(ganforge_registry):
    exp = load_config(CONFIGS / "cat2dog.yaml", ["models.generator_ab.light=true"], check=False)
    with torch.device("meta"):
        g = ganforge.build("generator", exp.models["generator_ab"], data_info(256), check=False)
    assert count(g) == OFFICIAL["generator_light"]


def test_synthetic_config_steps_on_the_synthetic_world(ganforge_registry):
    """The networks of synthetic.yaml run one recipe step on a real synthetic batch."""
    from ganforge.data import SyntheticParams, SyntheticWorld

    from .helpers import make_run

    exp = load_config(CONFIGS / "synthetic.yaml", check=False)
    check_components(exp)
    world = SyntheticWorld(SyntheticParams(**exp.data.params))
    samples = [world[i] for i in range(4)]
    batch = {"image": torch.stack([s["image"] for s in samples]),
             "cond": ganforge.Condition(domain=torch.stack([s["domain"] for s in samples]))}
    run, _ = make_run({r: s.model_dump() for r, s in exp.models.items()}, exp.strategy.model_dump(),
                      data=world.info())
    for phase in ("discriminator", "generator"):
        result = getattr(run.hook, f"ganforge_{phase}_step")(run=run, batch=batch)
        assert torch.isfinite(result.loss)

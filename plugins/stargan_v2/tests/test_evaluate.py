"""The paper's evaluation protocol (`ganforge stargan-v2 evaluate`) on a tiny trained run,
with random-init feature networks (``weights: none``)."""

from __future__ import annotations

import json

import pytest
import torch

import ganforge
from ganforge.cli import main
from ganforge.config import from_dict
from ganforge.trainer import Trainer
from ganforge_stargan_v2 import apps
from ganforge_stargan_v2.evaluate import ReferenceStream, evaluate, images_by_domain

from .helpers import TINY, data_info

RES = 32  # LPIPS's AlexNet needs >= 32 px
FID = {"type": "fid", "network": "synthetic", "weights": "none"}  # small and quick; the Inception is the default
DIVERSITY = {"type": "lpips_diversity", "backbone_weights": "none", "lin_weights": "lpips"}  # lin >= 0: LPIPS >= 0
TASKS = {"0to1", "0to2", "1to0", "1to2", "2to0", "2to1"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """Two real training steps of tiny networks on the synthetic world's three looks."""
    out = tmp_path_factory.mktemp("run")
    with ganforge.registry.use_registry(ganforge.registry.load(strict=True)):
        exp = from_dict({"data": {"type": "synthetic", "resolution": RES, "num_domains": 3, "fields": ["domain"]},
                         "models": TINY, "strategy": {"type": "stargan_v2"},
                         "train": {"steps": 2, "batch_size": 3, "sample_every": 0, "checkpoint_every": 2,
                                   "ema": {"enabled": True, "roles": ["generator", "mapping", "style_encoder"]}}})
        Trainer(exp, out, show_progress=False).fit()
    return out


@pytest.fixture
def nets(ganforge_registry):
    torch.manual_seed(0)
    data = data_info(resolution=RES, num_domains=3)
    built = apps.build_networks({r: s for r, s in TINY.items() if r != "discriminator"}, data)
    return apps.Networks(built["generator"], built["mapping"], built["style_encoder"], None, data)


def images(n: int, seed: int) -> torch.Tensor:
    return torch.rand(n, 3, RES, RES, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize("mode", ["latent", "reference"])
def test_every_task_and_their_means(nets, mode):
    sources = {d: images(3, d) for d in range(3)}
    reals = {d: images(4, 10 + d) for d in range(3)}
    out = evaluate(nets, sources, reals, mode, FID, DIVERSITY, outputs=3, batch_size=2)
    assert set(out) == {f"{m}_{mode}/{t}" for m in ("FID", "LPIPS") for t in TASKS | {"mean"}}
    for metric in ("FID", "LPIPS"):
        tasks = [out[f"{metric}_{mode}/{t}"] for t in TASKS]
        assert out[f"{metric}_{mode}/mean"] == pytest.approx(sum(tasks) / 6)
    assert all(out[f"LPIPS_{mode}/{t}"] > 0 for t in TASKS)  # 3 different styles -> 3 different outputs
    assert all(out[f"FID_{mode}/{t}"] > 0 for t in TASKS)


def test_one_style_per_output_is_no_diversity(nets):
    """A mapping network that ignores z gives ten equal outputs: diversity 0."""
    nets.mapping.style = lambda z, domain: torch.ones(len(domain), 8)
    sources = {d: images(2, d) for d in range(3)}
    out = evaluate(nets, sources, sources, "latent", FID, DIVERSITY, outputs=2)
    assert out["LPIPS_latent/mean"] == pytest.approx(0.0, abs=1e-6)


def test_references_cycle_through_the_target_domain():
    refs = torch.arange(5.0)[:, None]
    stream = ReferenceStream(refs, torch.Generator().manual_seed(0))
    first = torch.cat([stream.take(2), stream.take(3)]).flatten()
    assert sorted(first.tolist()) == [0, 1, 2, 3, 4]  # each reference once per cycle
    assert stream.take(7).shape == (7, 1)


def test_images_by_domain_takes_the_first_of_each():
    world = ganforge.data.synthetic.SyntheticWorld(ganforge.data.synthetic.SyntheticParams(
        resolution=RES, num_domains=3, fields=("domain",), length=60, seed=1))
    groups = images_by_domain(world, 3, limit=2)
    assert {d: g.shape for d, g in groups.items()} == {d: (2, 3, RES, RES) for d in range(3)}
    first_of_0 = next(i for i in range(60) if int(world[i]["domain"]) == 0)
    torch.testing.assert_close(groups[0][0], world[first_of_0]["image"])
    with pytest.raises(ganforge.DataError, match="model has 2 domains"):
        images_by_domain(world, 2)


def evaluate_cli(*args):
    main(["stargan-v2", "evaluate", *map(str, args), "--fid-network", "synthetic", "--fid-weights", "none",
          "--lpips-weights", "none"])


@pytest.mark.parametrize("mode", ["latent", "reference"])
def test_command_on_a_trained_run(run_dir, mode, capsys):
    evaluate_cli(run_dir, "--mode", mode, "--val-set", "seed=1", "--num-val", 2, "--num-real", 3, "--outputs", 2,
                 "--json")
    values = json.loads(capsys.readouterr().out)
    assert set(values) == {f"{m}_{mode}/{t}" for m in ("FID", "LPIPS") for t in TASKS | {"mean"}}
    assert values[f"LPIPS_{mode}/mean"] > 0 and values[f"FID_{mode}/mean"] > 0


def test_command_needs_held_out_images(run_dir, capsys):
    with pytest.raises(SystemExit):
        evaluate_cli(run_dir, "--mode", "latent")
    assert "--val-set: name the held-out images" in capsys.readouterr().err

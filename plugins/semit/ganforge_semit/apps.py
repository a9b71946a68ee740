"""SEMIT's applications on a trained run or an imported checkpoint: few-shot translation
of image files into the class K exemplar files show, few-shot translation into a look of
the synthetic world, and translation scored against the synthetic world's ground truth
(the same scene rendered in the target look), for SEMIT runs and StarGAN v2 runs alike."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
from torch import nn

import ganforge
from ganforge.applications import open_app
from ganforge.config import load_config, verify
from ganforge.data import SyntheticWorld
from ganforge.trainer import build_networks, open_checkpoint

from .generator import SEMITGenerator

Translate = Callable[[torch.Tensor, int], torch.Tensor]


def load_run(run: str | Path, trained: bool = True) -> tuple[dict[str, nn.Module], ganforge.config.Experiment]:
    """Role -> network in eval mode (EMA copies where the run kept them) from a run folder
    or checkpoint (`ganforge.applications.open_app`: a SEMIT run or a StarGAN v2 one, any
    translator with a generator); ``trained=False`` (or a YAML config) gives the networks
    at initialisation."""
    path = Path(run)
    if trained and path.suffix not in {".yaml", ".yml"}:
        app = open_app(path, "semit", "scoring needs a translation run (models.generator)")
        return app.networks, app.config
    exp = load_config(path) if path.suffix in {".yaml", ".yml"} else open_checkpoint(path)[2]
    info = verify(exp, ganforge.build("dataset", exp.data, path="data").info(), source=str(path))
    torch.manual_seed(exp.train.seed)
    models, _ = build_networks(exp, info)
    return {role: m.eval() for role, m in models.items()}, exp


def load_generator(path: str | Path) -> tuple[SEMITGenerator, ganforge.DataInfo]:
    """The generator (its EMA copy when kept) of a run folder or checkpoint, e.g. one
    written by ``ganforge import semit``, in eval mode, with the data it was built for
    (`ganforge.applications.open_app`; translating image files needs no dataset)."""
    app = open_app(path, "semit", "few-shot translation of image files needs a SEMIT generator "
                   "(models.generator: semit)", generator=SEMITGenerator)
    return app.generator, app.info


@torch.no_grad()
def translate_files(generator: nn.Module, sources: torch.Tensor, exemplars: torch.Tensor,
                    alpha: float | None = None) -> torch.Tensor:
    """Rows: the content images ``sources`` (N, 3, H, W) and their translations into the
    class shown by the K ``exemplars`` (K, 3, H, W), whose class codes are averaged
    (few-shot); ``alpha``: the octave ratio (default: the generator's ``alpha``)."""
    shots = exemplars.expand(len(sources), *exemplars.shape)
    return torch.cat([sources, generator.translate(sources, shots, alpha)])


def synthetic_world(exp, num_domains: int = 4) -> SyntheticWorld:
    """The run's synthetic world with every look (day, dusk, night, fog) available; the
    scenes are the run's (a sample's layout and styles do not depend on num_domains)."""
    spec = exp.data.params.get("dataset", exp.data.params) if exp.data.type == "semi_supervised" else exp.data.params
    params = {k: v for k, v in dict(spec).items() if k != "type"}
    if exp.data.type not in {"synthetic", "semi_supervised"} or dict(spec).get("type", "synthetic") != "synthetic":
        raise ganforge.ConfigError("scoring needs a run trained on the synthetic world (data: {type: synthetic})")
    return SyntheticWorld(SyntheticWorld.Params(**{**params, "num_domains": num_domains, "domain": None}))


def translator(models: dict[str, nn.Module], world: SyntheticWorld, shots: int = 5, seed: int = 0,
               alpha: float | None = None) -> Translate:
    """``translate(images, look)`` for a SEMIT run (K exemplars of the look, scenes the
    content images do not show; ``alpha``: the octave ratio, default the generator's) or a
    StarGAN v2 run (a latent style of the look)."""
    gen = torch.Generator().manual_seed(seed)
    G = models["generator"]
    if "mapping" in models:
        def stargan(images: torch.Tensor, look: int) -> torch.Tensor:
            z = torch.randn(len(images), models["mapping"].params.latent_dim, generator=gen)
            domain = torch.full((len(images),), look)
            style = models["mapping"](None, ganforge.Condition(z=z, domain=domain))["style"]
            return G(ganforge.Condition(source=images, style=style, domain=domain))
        return stargan

    def semit(images: torch.Tensor, look: int) -> torch.Tensor:
        picks = torch.randint(len(world) // 2, len(world), (len(images), shots), generator=gen)
        exemplars = torch.stack([torch.stack([world.render(int(j), domain=look)["image"] for j in row])
                                 for row in picks])
        return G.translate(images, exemplars, alpha)
    return semit


@torch.no_grad()
def score(translate: Translate, world: SyntheticWorld, looks: list[int], count: int = 32) -> dict[str, float]:
    """Mean L1 (in [-1, 1] units) between each translation and the ground truth, and the
    share of translations closer to the truth in the target look than in any other look."""
    l1, hits, n = 0.0, 0, 0
    for i in range(count):
        truths = torch.stack([world.render(i, domain=d)["image"] for d in range(world.params.num_domains)])
        source = world[i]["image"][None]
        for look in looks:
            fake = translate(source, look)[0]
            errors = (truths - fake).abs().mean((1, 2, 3))
            l1 += float(errors[look])
            hits += int(errors.argmin()) == look
            n += 1
    return {"l1_to_truth": l1 / n, "look_accuracy": hits / n}


@torch.no_grad()
def few_shot_grid(translate: Translate, world: SyntheticWorld, look: int, count: int = 6) -> torch.Tensor:
    """Rows: content images, their translations into ``look``, the ground truth."""
    sources = torch.stack([world[i]["image"] for i in range(count)])
    truths = torch.stack([world.render(i, domain=look)["image"] for i in range(count)])
    return torch.cat([sources, translate(sources, look), truths])

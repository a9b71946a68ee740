"""``ganforge smis ...``: GroupDNet's applications on a trained run.

Each command loads a run folder (its latest checkpoint) or a checkpoint file, takes
images and label maps from the run's dataset by index (for the synthetic world: the
training scenes of its seed), and writes a PNG grid or prints numbers::

    ganforge smis resample runs/smis_synthetic --image 0 --class 0 --class 4 --n 5
    ganforge smis mix runs/smis_synthetic --image 0 --other 7 --class 0
    ganforge smis manipulate runs/smis_synthetic --image 0 --from 1 --to 0
    ganforge smis morph runs/smis_synthetic --image 0 --other 7 --class 3 --steps 5
    ganforge smis diversity runs/smis_synthetic --images 16 --n 4
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import torch

import ganforge
from ganforge import Condition
from ganforge.cli_types import SEED
from ganforge.report import save_grid
from ganforge.trainer import restore

from . import apps
from .encoder import GroupDNetEncoder
from .generator import GroupDNet
from .metrics import MCSD, MOCD


@dataclass
class LoadedRun:
    """A trained run's generator (its EMA copy when there is one), code encoder and data."""

    generator: torch.nn.Module
    encoder: torch.nn.Module
    dataset: Any
    fields: frozenset[str]
    step: int
    folder: Path

    def items(self, indices: list[int]) -> tuple[torch.Tensor, Condition]:
        """(B, C, H, W) images and their condition for dataset samples ``indices``."""
        bad = [i for i in indices if not 0 <= i < len(self.dataset)]
        if bad:
            raise ganforge.ConfigError(f"sample indices {bad} outside [0, {len(self.dataset)})")
        samples = [self.dataset[i] for i in indices]
        return (torch.stack([s["image"] for s in samples]),
                Condition({k: torch.stack([s[k] for s in samples]) for k in self.fields if k in samples[0]}))

    def codes(self, image: torch.Tensor, cond: Condition) -> torch.Tensor:
        return apps.encode(self.encoder, image, cond)


def load_run(run_or_ckpt: str | Path) -> LoadedRun:
    """Reopen a run from its checkpoint (`ganforge.trainer.restore`); it must have GroupDNet's encoder."""
    restored = restore(run_or_ckpt)
    nets, kinds = dict(restored.run.models.items()), restored.parts.kinds
    encoders = [r for r, k in kinds.items() if k == "encoder" and isinstance(nets.get(r), GroupDNetEncoder)]
    if not isinstance(nets.get("generator"), GroupDNet) or not encoders:
        raise ganforge.ConfigError(f"{restored.checkpoint} (config): SMIS's applications need generator "
                                   f"'groupdnet' and encoder 'groupdnet'; this run has "
                                   f"{', '.join(nets) or 'no networks'}")
    return LoadedRun(restored.network("generator"), restored.network(encoders[0]), restored.dataset,
                     frozenset(restored.info.fields) - {"region_style"}, restored.step, restored.run_dir)


def _output(run: LoadedRun, out: str | None, name: str) -> Path:
    return Path(out) if out else run.folder / f"smis_{name}_step_{run.step:08d}.png"


def add_commands(group: click.Group) -> None:
    """Add the ``smis`` command group to ``group``."""

    @group.group(name="smis")
    def smis() -> None:
        """GroupDNet's applications: resample one class, mix appearances, edit layouts, morph, mCSD/mOCD."""

    run_arg = click.argument("run", type=click.Path(exists=True))
    image_opt = click.option("--image", "target", required=True, type=int, help="Dataset index of the image.")
    other_opt = click.option("--other", required=True, type=int, help="Dataset index of the other image.")
    out_opt = click.option("--out", type=click.Path(dir_okay=False), help="PNG grid [default: in the run folder].")
    seed_opt = click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the drawn codes.")

    @smis.command()
    @run_arg
    @image_opt
    @click.option("--class", "classes", required=True, multiple=True, type=int,
                  help="Class whose code is drawn anew (repeatable: one row each).")
    @click.option("--n", "count", default=5, show_default=True, type=click.IntRange(1), help="Draws per class.")
    @out_opt
    @seed_opt
    def resample(run: str, target: int, classes: tuple[int, ...], count: int, out: str | None, seed: int) -> None:
        """Semantic-level multi-modality: one row per class of [image, reconstruction, n draws of that
        class's code with every other code fixed]."""
        loaded = load_run(run)
        image, cond = loaded.items([target])
        codes = loaded.codes(image, cond)
        own = loaded.generator(cond.replace(region_style=codes))
        rows = [torch.cat([image, own, apps.resample_class(loaded.generator, cond, codes, k, count, seed)[:, 0]])
                for k in classes]
        path = save_grid(torch.cat(rows), count + 2, _output(loaded, out, "resample"))
        click.echo(f"wrote {path}")

    @smis.command()
    @run_arg
    @image_opt
    @other_opt
    @click.option("--class", "classes", required=True, multiple=True, type=int,
                  help="Class whose appearance comes from the other image (repeatable).")
    @out_opt
    def mix(run: str, target: int, other: int, classes: tuple[int, ...], out: str | None) -> None:
        """Appearance mixture: grid of [image, other, reconstruction, result]."""
        loaded = load_run(run)
        image, cond = loaded.items([target])
        other_image, other_cond = loaded.items([other])
        codes, other_codes = loaded.codes(image, cond), loaded.codes(other_image, other_cond)
        with torch.no_grad():
            own = loaded.generator(cond.replace(region_style=codes))
        mixed = apps.mix_appearance(loaded.generator, cond, codes, other_codes, classes)
        path = save_grid(torch.cat([image, other_image, own, mixed]), 4, _output(loaded, out, "mix"))
        click.echo(f"wrote {path}")

    @smis.command()
    @run_arg
    @image_opt
    @click.option("--from", "source", required=True, type=int, help="Class whose pixels are relabelled.")
    @click.option("--to", "dest", required=True, type=int, help="Their new class.")
    @out_opt
    def manipulate(run: str, target: int, source: int, dest: int, out: str | None) -> None:
        """Semantic manipulation: relabel a class in the layout and synthesise both with the same
        codes; grid of [image, reconstruction, edited]."""
        loaded = load_run(run)
        image, cond = loaded.items([target])
        codes = loaded.codes(image, cond)
        edited = apps.relabel(cond, cond["label"] == source, dest)
        own, changed = apps.manipulate(loaded.generator, cond, codes, edited)
        path = save_grid(torch.cat([image, own, changed]), 3, _output(loaded, out, "manipulate"))
        click.echo(f"wrote {path}")

    @smis.command()
    @run_arg
    @image_opt
    @other_opt
    @click.option("--class", "classes", multiple=True, type=int, help="Classes to morph [default: all].")
    @click.option("--steps", default=5, show_default=True, type=click.IntRange(2), help="Frames from t=0 to t=1.")
    @out_opt
    def morph(run: str, target: int, other: int, classes: tuple[int, ...], steps: int, out: str | None) -> None:
        """Style morphing: one row from the image's codes to the other's on the chosen classes."""
        loaded = load_run(run)
        image, cond = loaded.items([target])
        other_image, other_cond = loaded.items([other])
        frames = apps.morph(loaded.generator, cond, loaded.codes(image, cond), loaded.codes(other_image, other_cond),
                            list(classes) or None, steps)
        path = save_grid(torch.cat([image, *frames, other_image]), steps + 2, _output(loaded, out, "morph"))
        click.echo(f"wrote {path}")

    @smis.command()
    @run_arg
    @click.option("--images", default=8, show_default=True, type=click.IntRange(1), help="Dataset samples 0..images-1.")
    @click.option("--n", "count", default=4, show_default=True, type=click.IntRange(2), help="Draws per class.")
    @click.option("--net", default="alex", show_default=True, type=click.Choice(["alex", "vgg"]), help="LPIPS backbone.")
    @click.option("--backbone-weights", default="hub", show_default=True, help="LPIPS backbone weights ('none': random).")
    @click.option("--lin-weights", default="lpips", show_default=True, help="LPIPS lin layers ('none': unit).")
    @seed_opt
    def diversity(run: str, images: int, count: int, net: str, backbone_weights: str, lin_weights: str,
                  seed: int) -> None:
        """mCSD (higher is better) and mOCD (lower is better) over every class of the first images."""
        loaded = load_run(run)
        _, cond = loaded.items(list(range(min(images, len(loaded.dataset)))))
        params = MCSD.Params(net=net, backbone_weights=backbone_weights, lin_weights=lin_weights)
        metrics = [MCSD(params, loaded.generator.data), MOCD(params, loaded.generator.data)]
        for fake, group in apps.semantic_diversity(loaded.generator, cond, loaded.generator.num_classes, count, seed):
            for m in metrics:
                m.update(fake, cond=group)
        click.echo("  ".join(f"{k}: {v:.4g}" for m in metrics for k, v in m.compute().items()))

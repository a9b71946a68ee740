"""``ganforge sean ...``: the paper's applications on a trained run.

Each command loads a run folder (its latest checkpoint) or a checkpoint file, takes
images and label maps from the run's dataset by index (for the synthetic world: the
training scenes of its seed), and writes a PNG grid::

    ganforge sean reconstruct runs/synthetic --n 8
    ganforge sean transfer runs/synthetic --image 0 --reference 5 --class 0 --class 2
    ganforge sean interpolate runs/synthetic --image 0 --other 5 --steps 5
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


@dataclass
class LoadedRun:
    """A trained run's generator (its EMA copy when there is one), style encoder and data."""

    generator: torch.nn.Module
    encoder: torch.nn.Module
    dataset: Any
    fields: frozenset[str]
    step: int
    folder: Path

    def item(self, index: int) -> tuple[torch.Tensor, Condition]:
        """(1, C, H, W) image and its condition (batch of one) for dataset sample ``index``."""
        if not 0 <= index < len(self.dataset):
            raise ganforge.ConfigError(f"sample index {index} outside [0, {len(self.dataset)})")
        sample = self.dataset[index]
        return sample["image"][None], Condition({k: sample[k][None] for k in self.fields if k in sample})

    def items(self, indices: list[int]) -> tuple[torch.Tensor, Condition]:
        pairs = [self.item(i) for i in indices]
        return (torch.cat([p[0] for p in pairs]),
                Condition({k: torch.cat([p[1][k] for p in pairs]) for k in pairs[0][1]}))


def load_run(run_or_ckpt: str | Path) -> LoadedRun:
    """Reopen a run from its checkpoint (`ganforge.trainer.restore`); it must have a style encoder."""
    restored = restore(run_or_ckpt)
    models, kinds = restored.run.models, restored.parts.kinds
    encoders = [r for r, k in kinds.items() if k == "encoder" and r in models
                and "region_style" in type(models[r]).provides]
    if not encoders:
        raise ganforge.ConfigError(f"{restored.checkpoint} (config): SEAN's applications need a style encoder "
                                   f"providing 'region_style' (models.encoder: sean_style); this run has "
                                   f"{', '.join(models) or 'no networks'}")
    return LoadedRun(restored.network("generator"), restored.network(encoders[0]), restored.dataset,
                     frozenset(restored.info.fields) - {"region_style"}, restored.step, restored.run_dir)


def _output(run: LoadedRun, out: str | None, name: str) -> Path:
    return Path(out) if out else run.folder / f"sean_{name}_step_{run.step:08d}.png"


def add_commands(group: click.Group) -> None:
    """Add the ``sean`` command group to ``group``."""

    @group.group(name="sean")
    def sean() -> None:
        """SEAN's applications: per-region style transfer and interpolation, reconstruction."""

    run_arg = click.argument("run", type=click.Path(exists=True))
    out_opt = click.option("--out", type=click.Path(dir_okay=False), help="PNG grid [default: in the run folder].")
    seed_opt = click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of SEAN's per-layer noise.")

    @sean.command()
    @run_arg
    @click.option("--n", "count", default=8, show_default=True, type=click.IntRange(1), help="Samples 0..n-1.")
    @out_opt
    @seed_opt
    def reconstruct(run: str, count: int, out: str | None, seed: int) -> None:
        """Encode dataset samples and synthesise them back; print PSNR, SSIM and RMSE.

        The grid has the real images in the first row and their reconstructions below."""
        loaded = load_run(run)
        image, cond = loaded.items(list(range(min(count, len(loaded.dataset)))))
        torch.manual_seed(seed)
        fake, scores = apps.reconstruct(loaded.generator, loaded.encoder, image, cond)
        path = save_grid(torch.cat([image, fake]), len(image), _output(loaded, out, "reconstruct"))
        click.echo("  ".join(f"{k}: {v:.4f}" for k, v in scores.items()) + f"\nwrote {path}")

    @sean.command()
    @run_arg
    @click.option("--image", "target", required=True, type=int, help="Dataset index of the image to restyle.")
    @click.option("--reference", required=True, type=int, help="Dataset index of the style reference.")
    @click.option("--class", "classes", required=True, multiple=True, type=int,
                  help="Class id whose region takes the reference's style (repeatable).")
    @out_opt
    @seed_opt
    def transfer(run: str, target: int, reference: int, classes: tuple[int, ...], out: str | None,
                 seed: int) -> None:
        """Per-region style transfer: grid of [image, reference, reconstruction, result]."""
        loaded = load_run(run)
        image, cond = loaded.item(target)
        ref, ref_cond = loaded.item(reference)
        torch.manual_seed(seed)
        own, _ = apps.reconstruct(loaded.generator, loaded.encoder, image, cond)
        torch.manual_seed(seed)
        moved = apps.transfer_style(loaded.generator, loaded.encoder, image, cond, ref, ref_cond, classes)
        path = save_grid(torch.cat([image, ref, own, moved]), 4, _output(loaded, out, "transfer"))
        click.echo(f"wrote {path}")

    @sean.command()
    @run_arg
    @click.option("--image", "target", required=True, type=int, help="Dataset index: layout and start style.")
    @click.option("--other", required=True, type=int, help="Dataset index of the end style.")
    @click.option("--class", "classes", multiple=True, type=int, help="Classes to interpolate [default: all].")
    @click.option("--steps", default=5, show_default=True, type=click.IntRange(2), help="Frames from t=0 to t=1.")
    @out_opt
    @seed_opt
    def interpolate(run: str, target: int, other: int, classes: tuple[int, ...], steps: int, out: str | None,
                    seed: int) -> None:
        """Per-region style interpolation: one row of frames from the image's style to the other's."""
        loaded = load_run(run)
        image, cond = loaded.item(target)
        other_image, other_cond = loaded.item(other)
        torch.manual_seed(seed)
        frames = apps.interpolate_style(loaded.generator, loaded.encoder, image, cond, other_image, other_cond,
                                        list(classes) or None, steps)
        path = save_grid(torch.cat([image, *frames, other_image]), steps + 2, _output(loaded, out, "interpolate"))
        click.echo(f"wrote {path}")

"""``ganforge cocosnet ...``: the paper's applications on a trained run.

Each command loads a run folder (its latest checkpoint) or a checkpoint file, takes the
input and the exemplar from the run's dataset by index (for the synthetic world: the
training scenes of its seed), and writes a PNG grid::

    ganforge cocosnet translate runs/cocosnet --image 0 --exemplar 5
    ganforge cocosnet edit runs/cocosnet --image 0 --exemplar 5 --class 3
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import torch

import ganforge
from ganforge import Condition
from ganforge.report import save_grid
from ganforge.trainer import restore

from . import apps


@dataclass
class LoadedRun:
    """A trained run's correspondence and translation networks (EMA copies when there are any) and data."""

    correspondence: torch.nn.Module
    generator: torch.nn.Module
    dataset: Any
    step: int
    folder: Path

    def item(self, index: int) -> tuple[torch.Tensor, Condition]:
        """(1, C, H, W) image and its label map (batch of one) for dataset sample ``index``."""
        if not 0 <= index < len(self.dataset):
            raise ganforge.ConfigError(f"sample index {index} outside [0, {len(self.dataset)})")
        sample = self.dataset[index]
        return sample["image"][None], Condition(label=sample["label"][None])

    def pair(self, image_index: int, exemplar_index: int) -> tuple[torch.Tensor, torch.Tensor, Condition]:
        """(image, exemplar, condition with the image's label map and the exemplar)."""
        image, cond = self.item(image_index)
        exemplar, ex_cond = self.item(exemplar_index)
        return image, exemplar, cond.replace(exemplar=exemplar, exemplar_label=ex_cond["label"])


def load_run(run_or_ckpt: str | Path) -> LoadedRun:
    """Reopen a run from its checkpoint (`ganforge.trainer.restore`); it must be a CoCosNet-style run."""
    restored = restore(run_or_ckpt)
    models, kinds = restored.run.models, restored.parts.kinds
    corr = [r for r, k in kinds.items() if k == "encoder" and r in models
            and "warped_exemplar" in type(models[r]).provides]
    if not corr:
        raise ganforge.ConfigError(f"{restored.checkpoint} (config): CoCosNet's applications need an encoder "
                                   f"providing 'warped_exemplar' (cocosnet_correspondence); this run has "
                                   f"{', '.join(models) or 'no networks'}")
    return LoadedRun(restored.network(corr[0]), restored.network("generator"), restored.dataset, restored.step,
                     restored.run_dir)


def _output(run: LoadedRun, out: str | None, name: str) -> Path:
    return Path(out) if out else run.folder / f"cocosnet_{name}_step_{run.step:08d}.png"


def add_commands(group: click.Group) -> None:
    """Add the ``cocosnet`` command group to ``group``."""

    @group.group(name="cocosnet")
    def cocosnet() -> None:
        """CoCosNet's applications: exemplar-based translation, region editing."""

    run_arg = click.argument("run", type=click.Path(exists=True))
    out_opt = click.option("--out", type=click.Path(dir_okay=False), help="PNG grid [default: in the run folder].")
    image_opt = click.option("--image", "target", required=True, type=int,
                             help="Dataset index of the input (its label map; its image is shown).")
    exemplar_opt = click.option("--exemplar", required=True, multiple=True, type=int,
                                help="Dataset index of an exemplar (repeatable: one row each).")

    @cocosnet.command()
    @run_arg
    @image_opt
    @exemplar_opt
    @out_opt
    def translate(run: str, target: int, exemplar: tuple[int, ...], out: str | None) -> None:
        """Exemplar-based translation; grid rows: [exemplar, warped exemplar, result, real image]."""
        loaded = load_run(run)
        rows = []
        for index in exemplar:
            image, ex, cond = loaded.pair(target, index)
            warped, fake = apps.translate(loaded.correspondence, loaded.generator, cond)
            rows += [ex, warped, fake, image]
        path = save_grid(torch.cat(rows), 4, _output(loaded, out, "translate"))
        click.echo(f"wrote {path}")

    @cocosnet.command()
    @run_arg
    @image_opt
    @exemplar_opt
    @click.option("--class", "classes", required=True, multiple=True, type=int,
                  help="Class id whose region takes the exemplar's appearance (repeatable).")
    @out_opt
    def edit(run: str, target: int, exemplar: tuple[int, ...], classes: tuple[int, ...], out: str | None) -> None:
        """Makeup-transfer-like region editing; grid rows: [image, exemplar, edited warp, result]."""
        loaded = load_run(run)
        rows = []
        for index in exemplar:
            image, ex, cond = loaded.pair(target, index)
            warped, fake = apps.edit_regions(loaded.correspondence, loaded.generator, image, cond, classes)
            rows += [image, ex, warped, fake]
        path = save_grid(torch.cat(rows), 4, _output(loaded, out, "edit"))
        click.echo(f"wrote {path}")

"""``ganforge cocosnet ...``: the paper's applications on a trained run or an imported checkpoint.

Each command loads a run folder (its latest checkpoint) or a checkpoint file (``ganforge
import cocosnet`` writes one from the official release), takes the input and the
exemplars as dataset indices or as image and label-map files (`ganforge.scenes`), and
writes a PNG grid of named rows, one column per exemplar::

    ganforge cocosnet translate runs/cocosnet --image 0 --exemplar 5
    ganforge cocosnet translate cocosnet.pt --image scene.jpg:scene_label.png --exemplar ref.jpg:ref_label.png
    ganforge cocosnet edit runs/cocosnet --image 0 --exemplar 5 --class 3
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click
import torch

import ganforge
from ganforge import Condition
from ganforge.report import save_rows, saved_message
from ganforge.scenes import SCENE, SCENE_HELP, Scene
from ganforge.trainer import Restored, restore

from . import apps


@dataclass
class LoadedRun:
    """A trained run's correspondence and translation networks (EMA copies when there are any) and scenes."""

    correspondence: torch.nn.Module
    generator: torch.nn.Module
    restored: Restored

    @property
    def step(self) -> int:
        return self.restored.step

    def pair(self, scene: Scene, exemplar: Scene) -> tuple[torch.Tensor, torch.Tensor, Condition]:
        """(image, exemplar, condition with the image's label map and the exemplar with its own)."""
        image, cond = self.restored.scenes([scene])
        ex, ex_cond = self.restored.scenes([exemplar])
        return image, ex, cond.replace(exemplar=ex, exemplar_label=ex_cond["label"])

    def write(self, rows: dict[str, torch.Tensor], out: str | None, name: str) -> str:
        path, names = save_rows(rows, Path(out) if out else self.restored.output(f"cocosnet_{name}"))
        return saved_message(path, names)


def load_run(run_or_ckpt: str | Path) -> LoadedRun:
    """Reopen a run from its checkpoint (`ganforge.trainer.restore`); it must be a CoCosNet-style run."""
    restored = restore(run_or_ckpt, dataset=False)
    models, kinds = restored.run.models, restored.parts.kinds
    corr = [r for r, k in kinds.items() if k == "encoder" and r in models
            and "warped_exemplar" in type(models[r]).provides]
    if not corr:
        raise ganforge.ConfigError(f"{restored.checkpoint} (config): CoCosNet's applications need an encoder "
                                   f"providing 'warped_exemplar' (cocosnet_correspondence); this run has "
                                   f"{', '.join(models) or 'no networks'}")
    return LoadedRun(restored.network(corr[0]), restored.network("generator"), restored)


def add_commands(group: click.Group) -> None:
    """Add the ``cocosnet`` command group to ``group``."""

    @group.group(name="cocosnet")
    def cocosnet() -> None:
        """CoCosNet's applications: exemplar-based translation, region editing."""

    run_arg = click.argument("run", type=click.Path(exists=True))
    out_opt = click.option("--out", type=click.Path(dir_okay=False), help="PNG grid [default: beside the checkpoint].")
    image_opt = click.option("--image", "target", required=True, type=SCENE,
                             help=f"The input (its label map; its image is shown): {SCENE_HELP}.")
    exemplar_opt = click.option("--exemplar", required=True, multiple=True, type=SCENE,
                                help="An exemplar, index or IMAGE:LABEL files (repeatable: one column each).")

    @cocosnet.command()
    @run_arg
    @image_opt
    @exemplar_opt
    @out_opt
    def translate(run: str, target: Scene, exemplar: tuple[Scene, ...], out: str | None) -> None:
        """Exemplar-based translation. Rows: label map, exemplar, warped exemplar, generated, image."""
        loaded = load_run(run)
        cols = []
        for ex_scene in exemplar:
            image, ex, cond = loaded.pair(target, ex_scene)
            warped, fake = apps.translate(loaded.correspondence, loaded.generator, cond)
            cols.append({"label map": cond["label"], "exemplar": ex, "warped exemplar": warped, "generated": fake,
                         "image": image})
        click.echo(loaded.write({k: torch.cat([c[k] for c in cols]) for k in cols[0]}, out, "translate"))

    @cocosnet.command()
    @run_arg
    @image_opt
    @exemplar_opt
    @click.option("--class", "classes", required=True, multiple=True, type=int,
                  help="Class id whose region takes the exemplar's appearance (repeatable).")
    @out_opt
    def edit(run: str, target: Scene, exemplar: tuple[Scene, ...], classes: tuple[int, ...], out: str | None) -> None:
        """Makeup-transfer-like region editing. Rows: image, label map, exemplar, edited warp, generated."""
        loaded = load_run(run)
        cols = []
        for ex_scene in exemplar:
            image, ex, cond = loaded.pair(target, ex_scene)
            warped, fake = apps.edit_regions(loaded.correspondence, loaded.generator, image, cond, classes)
            cols.append({"image": image, "label map": cond["label"], "exemplar": ex, "edited warp": warped,
                         "generated": fake})
        click.echo(loaded.write({k: torch.cat([c[k] for c in cols]) for k in cols[0]}, out, "edit"))

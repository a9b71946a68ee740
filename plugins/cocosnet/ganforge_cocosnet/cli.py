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

from pathlib import Path

import click
import torch

from ganforge import Condition
from ganforge.applications import AppRun, open_app
from ganforge.scenes import SCENE, SCENE_HELP, Scene

from . import apps


def load_run(run_or_ckpt: str | Path) -> AppRun:
    """Reopen a run from its checkpoint (`ganforge.applications.open_app`): the translation
    network and, as its encoder, the correspondence network (EMA copies when there are any)."""
    return open_app(run_or_ckpt, "cocosnet", "CoCosNet's applications need an encoder providing 'warped_exemplar' "
                    "(cocosnet_correspondence)", encoder="warped_exemplar")


def pair(loaded: AppRun, scene: Scene, exemplar: Scene) -> tuple[torch.Tensor, torch.Tensor, Condition]:
    """(image, exemplar, condition with the image's label map and the exemplar with its own)."""
    image, cond = loaded.scenes([scene])
    ex, ex_cond = loaded.scenes([exemplar])
    return image, ex, cond.replace(exemplar=ex, exemplar_label=ex_cond["label"])


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
            image, ex, cond = pair(loaded, target, ex_scene)
            warped, fake = apps.translate(loaded.encoder, loaded.generator, cond)
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
            image, ex, cond = pair(loaded, target, ex_scene)
            warped, fake = apps.edit_regions(loaded.encoder, loaded.generator, image, cond, classes)
            cols.append({"image": image, "label map": cond["label"], "exemplar": ex, "edited warp": warped,
                         "generated": fake})
        click.echo(loaded.write({k: torch.cat([c[k] for c in cols]) for k in cols[0]}, out, "edit"))

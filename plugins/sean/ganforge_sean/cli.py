"""``ganforge sean ...``: the paper's applications on a trained run or an imported checkpoint.

Each command loads a run folder (its latest checkpoint) or a checkpoint file (``ganforge
import sean`` writes one from the official release), takes its scenes as dataset indices
or as image and label-map files (`ganforge.scenes`), and writes a PNG grid of named rows::

    ganforge sean reconstruct runs/synthetic --n 8
    ganforge sean transfer runs/synthetic --image 0 --reference 5 --class 0 --class 2
    ganforge sean transfer sean.pt --image face.jpg:face_mask.png --reference ref.jpg:ref_mask.png --class 4
    ganforge sean interpolate runs/synthetic --image 0 --other 5 --steps 5
"""

from __future__ import annotations

from pathlib import Path

import click
import torch

from ganforge.applications import AppRun, open_app
from ganforge.cli_types import SEED
from ganforge.report import pad_row
from ganforge.scenes import SCENE, SCENE_HELP, Scene

from . import apps


def load_run(run_or_ckpt: str | Path) -> AppRun:
    """Reopen a run from its checkpoint (`ganforge.applications.open_app`): its generator
    (EMA copy when there is one) and a style encoder; scenes come without a style (the
    encoder gives it)."""
    return open_app(run_or_ckpt, "sean", "SEAN's applications need a style encoder providing 'region_style' "
                    "(models.encoder: sean_style)", encoder="region_style")


def add_commands(group: click.Group) -> None:
    """Add the ``sean`` command group to ``group``."""

    @group.group(name="sean")
    def sean() -> None:
        """SEAN's applications: per-region style transfer and interpolation, reconstruction."""

    run_arg = click.argument("run", type=click.Path(exists=True))
    out_opt = click.option("--out", type=click.Path(dir_okay=False), help="PNG grid [default: beside the checkpoint].")
    seed_opt = click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of SEAN's per-layer noise.")

    @sean.command()
    @run_arg
    @click.option("--image", "images", multiple=True, type=SCENE, help=f"Scene to reconstruct: {SCENE_HELP} "
                  "(repeatable) [default: dataset samples 0..n-1].")
    @click.option("--n", "count", default=8, show_default=True, type=click.IntRange(1), help="Samples 0..n-1.")
    @out_opt
    @seed_opt
    def reconstruct(run: str, images: tuple[Scene, ...], count: int, out: str | None, seed: int) -> None:
        """Encode scenes and synthesise them back; print PSNR, SSIM and RMSE.

        Rows: label map, real, reconstruction."""
        loaded = load_run(run)
        scenes = list(images) or [Scene(index=i) for i in range(min(count, len(loaded.dataset)))]
        image, cond = loaded.scenes(scenes)
        torch.manual_seed(seed)
        fake, scores = apps.reconstruct(loaded.generator, loaded.encoder, image, cond)
        message = loaded.write({"label map": cond["label"], "real": image, "reconstruction": fake}, out, "reconstruct")
        click.echo("  ".join(f"{k}: {v:.4f}" for k, v in scores.items()) + "\n" + message)

    @sean.command()
    @run_arg
    @click.option("--image", "target", required=True, type=SCENE, help=f"Scene to restyle: {SCENE_HELP}.")
    @click.option("--reference", required=True, type=SCENE, help="Scene whose style the regions take.")
    @click.option("--class", "classes", required=True, multiple=True, type=int,
                  help="Class id whose region takes the reference's style (repeatable).")
    @out_opt
    @seed_opt
    def transfer(run: str, target: Scene, reference: Scene, classes: tuple[int, ...], out: str | None,
                 seed: int) -> None:
        """Per-region style transfer. Rows: label map, image, reference label map, reference,
        reconstruction (the image's own styles), transferred."""
        loaded = load_run(run)
        image, cond = loaded.scenes([target])
        ref, ref_cond = loaded.scenes([reference])
        torch.manual_seed(seed)
        own, _ = apps.reconstruct(loaded.generator, loaded.encoder, image, cond)
        torch.manual_seed(seed)
        moved = apps.transfer_style(loaded.generator, loaded.encoder, image, cond, ref, ref_cond, classes)
        rows = {"label map": cond["label"], "image": image, "reference label map": ref_cond["label"],
                "reference": ref, "reconstruction": own, "transferred": moved}
        click.echo(loaded.write(rows, out, "transfer"))

    @sean.command()
    @run_arg
    @click.option("--image", "target", required=True, type=SCENE, help=f"Layout and start style: {SCENE_HELP}.")
    @click.option("--other", required=True, type=SCENE, help="Scene of the end style.")
    @click.option("--class", "classes", multiple=True, type=int, help="Classes to interpolate [default: all].")
    @click.option("--steps", default=5, show_default=True, type=click.IntRange(2), help="Frames from t=0 to t=1.")
    @out_opt
    @seed_opt
    def interpolate(run: str, target: Scene, other: Scene, classes: tuple[int, ...], steps: int, out: str | None,
                    seed: int) -> None:
        """Per-region style interpolation. Rows: label map, image, other, frames t = 0 ... 1."""
        loaded = load_run(run)
        image, cond = loaded.scenes([target])
        other_image, other_cond = loaded.scenes([other])
        torch.manual_seed(seed)
        frames = apps.interpolate_style(loaded.generator, loaded.encoder, image, cond, other_image, other_cond,
                                        list(classes) or None, steps)
        rows = {"label map": pad_row(cond["label"], steps), "image": pad_row(image, steps),
                "other": pad_row(other_image, steps), "interpolation, t = 0 ... 1": frames[:, 0]}
        click.echo(loaded.write(rows, out, "interpolate"))

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

from dataclasses import dataclass
from pathlib import Path

import click
import torch

import ganforge
from ganforge import Condition
from ganforge.cli_types import SEED
from ganforge.report import pad_row, save_rows, saved_message
from ganforge.scenes import SCENE, SCENE_HELP, Scene
from ganforge.trainer import Restored, restore

from . import apps


@dataclass
class LoadedRun:
    """A trained run's generator (its EMA copy when there is one), style encoder and scenes."""

    generator: torch.nn.Module
    encoder: torch.nn.Module
    restored: Restored

    @property
    def step(self) -> int:
        return self.restored.step

    def scenes(self, scenes: list[Scene]) -> tuple[torch.Tensor, Condition]:
        """Images and their condition (without a style: the encoder gives it)."""
        image, cond = self.restored.scenes(scenes)
        return image, Condition({k: v for k, v in cond.items() if k != "region_style"})

    def write(self, rows: dict[str, torch.Tensor], out: str | None, name: str) -> str:
        path, names = save_rows(rows, Path(out) if out else self.restored.output(f"sean_{name}"))
        return saved_message(path, names)


def load_run(run_or_ckpt: str | Path) -> LoadedRun:
    """Reopen a run from its checkpoint (`ganforge.trainer.restore`); it must have a style encoder."""
    restored = restore(run_or_ckpt, dataset=False)
    models, kinds = restored.run.models, restored.parts.kinds
    encoders = [r for r, k in kinds.items() if k == "encoder" and r in models
                and "region_style" in type(models[r]).provides]
    if not encoders:
        raise ganforge.ConfigError(f"{restored.checkpoint} (config): SEAN's applications need a style encoder "
                                   f"providing 'region_style' (models.encoder: sean_style); this run has "
                                   f"{', '.join(models) or 'no networks'}")
    return LoadedRun(restored.network("generator"), restored.network(encoders[0]), restored)


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
        scenes = list(images) or [Scene(index=i) for i in range(min(count, len(loaded.restored.dataset)))]
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

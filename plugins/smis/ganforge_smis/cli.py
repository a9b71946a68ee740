"""``ganforge smis ...``: GroupDNet's applications on a trained run or an imported checkpoint.

Each command loads a run folder (its latest checkpoint) or a checkpoint file (``ganforge
import smis`` writes one from the official release), takes its scenes as dataset indices
or as image and label-map files (`ganforge.scenes`), and writes a PNG grid of named rows
or prints numbers::

    ganforge smis resample runs/smis_synthetic --image 0 --class 0 --class 4 --n 5
    ganforge smis resample smis.pt --image person.jpg:person_label.png --class 3 --n 5
    ganforge smis mix runs/smis_synthetic --image 0 --other 7 --class 0
    ganforge smis manipulate runs/smis_synthetic --image 0 --from 1 --to 0
    ganforge smis morph runs/smis_synthetic --image 0 --other 7 --class 3 --steps 5
    ganforge smis diversity runs/smis_synthetic --images 16 --n 4

Label map -> image with codes drawn from the prior is ``ganforge sample RUN --labels PNG``.
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
from .encoder import GroupDNetEncoder
from .generator import GroupDNet
from .metrics import MCSD, MOCD


def load_run(run_or_ckpt: str | Path) -> AppRun:
    """Reopen a run from its checkpoint (`ganforge.applications.open_app`): GroupDNet and
    its encoder (EMA copies when there are any); scenes come without codes (the encoder
    gives them, `apps.encode`)."""
    return open_app(run_or_ckpt, "smis", "SMIS's applications need generator 'groupdnet' and encoder 'groupdnet'",
                    generator=GroupDNet, encoder=GroupDNetEncoder)


def add_commands(group: click.Group) -> None:
    """Add the ``smis`` command group to ``group``."""

    @group.group(name="smis")
    def smis() -> None:
        """GroupDNet's applications: resample one class, mix appearances, edit layouts, morph, mCSD/mOCD."""

    run_arg = click.argument("run", type=click.Path(exists=True))
    image_opt = click.option("--image", "target", required=True, type=SCENE, help=f"The scene: {SCENE_HELP}.")
    other_opt = click.option("--other", required=True, type=SCENE, help="The other scene (index or files).")
    out_opt = click.option("--out", type=click.Path(dir_okay=False), help="PNG grid [default: beside the checkpoint].")
    seed_opt = click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the drawn codes.")

    @smis.command()
    @run_arg
    @image_opt
    @click.option("--class", "classes", required=True, multiple=True, type=int,
                  help="Class whose code is drawn anew (repeatable: one row each).")
    @click.option("--n", "count", default=5, show_default=True, type=click.IntRange(1), help="Draws per class.")
    @out_opt
    @seed_opt
    def resample(run: str, target: Scene, classes: tuple[int, ...], count: int, out: str | None, seed: int) -> None:
        """Semantic-level multi-modality. Rows: label map, image, reconstruction (its own codes),
        then one row per class of n draws of that class's code with every other code fixed."""
        loaded = load_run(run)
        image, cond = loaded.scenes([target])
        codes = apps.encode(loaded.encoder, image, cond)
        with torch.no_grad():
            own = loaded.generator(cond.replace(region_style=codes))
        rows = {"label map": pad_row(cond["label"], count), "image": pad_row(image, count),
                "reconstruction": pad_row(own, count)}
        for k in classes:
            rows[f"class {k} resampled"] = apps.resample_class(loaded.generator, cond, codes, k, count, seed)[:, 0]
        click.echo(loaded.write(rows, out, "resample"))

    @smis.command()
    @run_arg
    @image_opt
    @other_opt
    @click.option("--class", "classes", required=True, multiple=True, type=int,
                  help="Class whose appearance comes from the other image (repeatable).")
    @out_opt
    def mix(run: str, target: Scene, other: Scene, classes: tuple[int, ...], out: str | None) -> None:
        """Appearance mixture. Rows: label map, image, other, reconstruction, mixed."""
        loaded = load_run(run)
        image, cond = loaded.scenes([target])
        other_image, other_cond = loaded.scenes([other])
        codes = apps.encode(loaded.encoder, image, cond)
        other_codes = apps.encode(loaded.encoder, other_image, other_cond)
        with torch.no_grad():
            own = loaded.generator(cond.replace(region_style=codes))
        mixed = apps.mix_appearance(loaded.generator, cond, codes, other_codes, classes)
        rows = {"label map": cond["label"], "image": image, "other": other_image, "reconstruction": own,
                "mixed": mixed}
        click.echo(loaded.write(rows, out, "mix"))

    @smis.command()
    @run_arg
    @image_opt
    @click.option("--from", "source", required=True, type=int, help="Class whose pixels are relabelled.")
    @click.option("--to", "dest", required=True, type=int, help="Their new class.")
    @out_opt
    def manipulate(run: str, target: Scene, source: int, dest: int, out: str | None) -> None:
        """Semantic manipulation: relabel a class in the layout and synthesise both with the same
        codes. Rows: label map, edited label map, image, reconstruction, edited."""
        loaded = load_run(run)
        image, cond = loaded.scenes([target])
        codes = apps.encode(loaded.encoder, image, cond)
        edited = apps.relabel(cond, cond["label"] == source, dest)
        own, changed = apps.manipulate(loaded.generator, cond, codes, edited)
        rows = {"label map": cond["label"], "edited label map": edited["label"], "image": image,
                "reconstruction": own, "edited": changed}
        click.echo(loaded.write(rows, out, "manipulate"))

    @smis.command()
    @run_arg
    @image_opt
    @other_opt
    @click.option("--class", "classes", multiple=True, type=int, help="Classes to morph [default: all].")
    @click.option("--steps", default=5, show_default=True, type=click.IntRange(2), help="Frames from t=0 to t=1.")
    @out_opt
    def morph(run: str, target: Scene, other: Scene, classes: tuple[int, ...], steps: int, out: str | None) -> None:
        """Style morphing from the image's codes to the other's on the chosen classes.
        Rows: label map, image, other, frames t = 0 ... 1."""
        loaded = load_run(run)
        image, cond = loaded.scenes([target])
        other_image, other_cond = loaded.scenes([other])
        codes = apps.encode(loaded.encoder, image, cond)
        other_codes = apps.encode(loaded.encoder, other_image, other_cond)
        frames = apps.morph(loaded.generator, cond, codes, other_codes, list(classes) or None, steps)
        rows = {"label map": pad_row(cond["label"], steps), "image": pad_row(image, steps),
                "other": pad_row(other_image, steps), "morph, t = 0 ... 1": frames[:, 0]}
        click.echo(loaded.write(rows, out, "morph"))

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
        _, cond = loaded.scenes([Scene(index=i) for i in range(min(images, len(loaded.dataset)))])
        params = MCSD.Params(net=net, backbone_weights=backbone_weights, lin_weights=lin_weights)
        metrics = [MCSD(params, loaded.generator.data), MOCD(params, loaded.generator.data)]
        for fake, group in apps.semantic_diversity(loaded.generator, cond, loaded.generator.num_classes, count, seed):
            for m in metrics:
                m.update(fake, cond=group)
        click.echo("  ".join(f"{k}: {v:.4g}" for m in metrics for k, v in m.compute().items()))

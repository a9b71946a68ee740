"""``ganforge controllable-3d move|rotate|add|remove|camera RUN ... --out seq.png``: the paper's
3D controls on a trained run (a run folder or a checkpoint). Each writes a grid with one named
row per seed and one column per frame. ``measure RUN`` prints the controls' fidelity as JSON;
``make-world OUT`` writes the 3D world with ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ganforge.cli_types import SEED, SEEDS
from ganforge.report import save_rows, saved_message

from . import apps

run_arg = click.argument("run", type=click.Path(exists=True))
seeds_opt = click.option("--seeds", type=SEEDS, default="0,1,2,3", show_default=True,
                         help="latent seeds, e.g. 0,1,2,3 or 0-3")
frames_opt = click.option("--frames", type=int, default=6, show_default=True)
obj_opt = click.option("--object", "obj", type=int, default=0, show_default=True, help="primitive index")
view_opt = click.option("--view", type=(float, float), default=(0.0, 0.25), show_default=True,
                        help="camera azimuth u and elevation v (official ranges [0, 1) and [0.15, 0.371])")
out_opt = click.option("--out", type=click.Path(), required=True, help="PNG grid to write")


def _write(G, scenes, cams, frames: int, out: str, seeds: list[int]) -> None:
    """One row per seed (``render_sequence`` is seed-major), its frames left to right."""
    rows = apps.render_sequence(G, scenes, cams).split(frames)
    names = [f"seed {s}" + (f" (#{i})" if seeds.count(s) > 1 else "") for i, s in enumerate(seeds)]
    click.echo(saved_message(*save_rows(dict(zip(names, rows)), Path(out))))


def _setup(run: str, seeds: list[int], view):
    G = apps.load_generator(run)
    scene = apps.scene_of_seeds(G, seeds)
    return G, scene, apps.cameras(view[0], view[1], 0.0, 1, G.params.cam_radius)[0]


def add_commands(group: click.Group) -> None:
    @group.group("controllable-3d")
    def controllable_3d() -> None:
        """3D controllable image synthesis (arXiv:1912.05237): object and camera controls."""

    @controllable_3d.command("move")
    @run_arg
    @seeds_opt
    @obj_opt
    @click.option("--delta", type=(float, float, float), default=(0.5, 0.0, 0.0), show_default=True,
                  help="world-space translation (primitives live in [-1, 1]^3)")
    @frames_opt
    @view_opt
    @out_opt
    def move(run, seeds, obj, delta, frames, view, out) -> None:
        """Translate one object; prints the measured vs. expected image shift (pixels)."""
        G, scene, cam = _setup(run, seeds, view)
        measured, expected = apps.move_fidelity(G, scene, obj, delta, cam)
        click.echo(f"object alpha centroid shift (px): measured {measured.mean(0).tolist()} "
                   f"expected {expected.mean(0).tolist()}")
        _write(G, apps.move(scene, obj, delta, frames), [cam] * frames, frames, out, seeds)

    @controllable_3d.command("rotate")
    @run_arg
    @seeds_opt
    @obj_opt
    @click.option("--degrees", type=float, default=90.0, show_default=True)
    @frames_opt
    @view_opt
    @out_opt
    def rotate(run, seeds, obj, degrees, frames, view, out) -> None:
        """Rotate one object about the vertical axis."""
        G, scene, cam = _setup(run, seeds, view)
        _write(G, apps.rotate(scene, obj, degrees, frames), [cam] * frames, frames, out, seeds)

    @controllable_3d.command("add")
    @run_arg
    @seeds_opt
    @obj_opt
    @click.option("--from-seed", type=SEED, default=None, help="take the object's shape and appearance from this seed")
    @frames_opt
    @view_opt
    @out_opt
    def add(run, seeds, obj, from_seed, frames, view, out) -> None:
        """Fade an object in (optionally one from another sample)."""
        G, scene, cam = _setup(run, seeds, view)
        if from_seed is not None:
            donor = apps.scene_of_seeds(G, [from_seed] * scene["t"].shape[0])
            scene = apps.transplant(scene, donor, obj)
        _write(G, apps.visibility(scene, obj, 0.0, 1.0, frames), [cam] * frames, frames, out, seeds)

    @controllable_3d.command("remove")
    @run_arg
    @seeds_opt
    @obj_opt
    @frames_opt
    @view_opt
    @out_opt
    def remove(run, seeds, obj, frames, view, out) -> None:
        """Fade an object out."""
        G, scene, cam = _setup(run, seeds, view)
        _write(G, apps.visibility(scene, obj, 1.0, 0.0, frames), [cam] * frames, frames, out, seeds)

    @controllable_3d.command("measure")
    @run_arg
    @click.option("--samples", type=int, default=64, show_default=True, help="seeds 0..N-1")
    @click.option("--step", type=float, default=0.3, show_default=True, help="move length in world units")
    @click.option("--turn", type=float, default=0.1, show_default=True, help="camera turn in full turns")
    @view_opt
    def measure(run, samples, step, turn, view) -> None:
        """Control fidelity as JSON: pixel error of moves and camera turns against the projected
        3D motion, and the 3D consistency of objects turned by 30 degrees."""
        G = apps.load_generator(run)
        click.echo(json.dumps(apps.measure_controls(G, list(range(samples)), step, turn, tuple(view)), indent=1))

    @controllable_3d.command("camera")
    @run_arg
    @seeds_opt
    @click.option("--turns", type=float, default=0.25, show_default=True, help="azimuth sweep in full turns")
    @frames_opt
    @view_opt
    @out_opt
    def camera(run, seeds, turns, frames, view, out) -> None:
        """Orbit the camera around the scene."""
        G, scene, _ = _setup(run, seeds, view)
        cams = apps.cameras(view[0], view[1], turns, frames, G.params.cam_radius)
        _write(G, [scene] * frames, cams, frames, out, seeds)

    @controllable_3d.command("make-world")
    @click.argument("out", type=click.Path(file_okay=False))
    @click.option("--scenes", type=click.IntRange(min=1), default=10000, show_default=True)
    @click.option("--resolution", type=click.IntRange(min=8), default=64, show_default=True)
    @click.option("--seed", type=SEED, default=0, show_default=True)
    @click.option("--max-objects", type=click.IntRange(1, 8), default=3, show_default=True)
    @click.option("--background-fraction", type=click.FloatRange(0, 1), default=0.25, show_default=True,
                  help="share of pure-background scenes (written to world0_bg1)")
    @click.option("--cubes/--no-cubes", default=False, show_default=True, help="cubes besides spheres")
    @click.option("--val-fraction", type=click.FloatRange(0, 1), default=0.1, show_default=True)
    def make_world(out, scenes, resolution, seed, max_objects, background_fraction, cubes, val_fraction) -> None:
        """Write the 3D world in the official ObjectDataset layout (world<k>_bg1/<split>/...) with
        its ground truth in scenes.json; read it back with the controllable_3d_objects dataset."""
        from .world import Controllable3DWorld, WorldParams, export_world

        params = WorldParams(resolution=resolution, length=scenes, seed=seed, max_objects=max_objects,
                             background_fraction=background_fraction,
                             shapes=("sphere", "cube") if cubes else ("sphere",))
        root = export_world(Controllable3DWorld(params), out, val_fraction)
        click.echo(f"{root}: {scenes} scenes, sub_dirs {sorted(p.name for p in root.glob('world*_bg1'))}")

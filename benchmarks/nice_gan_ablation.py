"""NICE-GAN's decoupled training against coupled training, on the synthetic world.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/nice_gan_ablation.py --steps 600 --json results.json
    # or the arms as two processes at once (same machine load), then one table:
    python benchmarks/nice_gan_ablation.py --arms coupled --json coupled.json &
    python benchmarks/nice_gan_ablation.py --arms decoupled --json decoupled.json; wait
    python benchmarks/nice_gan_ablation.py --table coupled.json decoupled.json

The paper's ablation (arXiv:2003.00273, Sec. 4.3) trains the same model with the encoder
E updated only when the adversarial loss is maximised (decoupled, NICE-GAN) or by both
players (coupled) and compares FID / KID of the translations. Here both arms train
``plugins/nice_gan/configs/synthetic.yaml`` (day <-> dusk) from the same initial weights
and the same batches, differing only in ``strategy.decoupled``. No Inception weights can
be loaded offline, so the distribution distance is SWD (ProGAN's sliced Wasserstein
distance on Laplacian-pyramid patches, no pretrained network): translations of held-out
scenes against real images of other held-out scenes of the target domain, the unpaired
protocol of FID. The synthetic world also renders each held-out scene in the target
domain, so PSNR to that ground-truth translation is reported as well. Needs the NICE-GAN
plugin (``pip install -e plugins/nice_gan``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

import ganforge
from ganforge.config import load_config
from ganforge.data.synthetic import SyntheticParams, SyntheticWorld
from ganforge.run import Run
from ganforge.trainer import Trainer

CONFIG = Path(__file__).resolve().parents[1] / "plugins" / "nice_gan" / "configs" / "synthetic.yaml"
ARMS = {"decoupled": True, "coupled": False}
DIRECTIONS = {"ab": ("discriminator_a", "generator_ab", 0, 1), "ba": ("discriminator_b", "generator_ba", 1, 0)}
TRAIN_SEED, SCENE_SEED, REFERENCE_SEED = 0, 1000, 2000  # world seeds: training, held-out sources, references


def scenes(seed: int, domain: int, n: int, resolution: tuple[int, int]) -> torch.Tensor:
    """``n`` images of the synthetic world's seed ``seed``, all rendered in ``domain``."""
    world = SyntheticWorld(SyntheticParams(seed=seed, domain=domain, num_domains=2, length=n,
                                           resolution=resolution, fields=("domain",)))
    return torch.stack([world[i]["image"] for i in range(n)])


@torch.no_grad()
def translate(run: Run, direction: str, images: torch.Tensor, batch: int = 32) -> torch.Tensor:
    """G_{x->y}(E_x(x)), as the recipe samples it."""
    d_src, g_forward, _, _ = DIRECTIONS[direction]
    out = [run.models[g_forward](ganforge.Condition(embedding=run.models[d_src].encode(x).embedding))
           for x in images.split(batch)]
    return torch.cat(out).clamp(-1, 1)


def measure(run: Run, n: int) -> dict[str, float]:
    """SWD (translations vs real images of the target domain) and PSNR (vs the same scene in
    the target domain) per direction, and their means over both directions."""
    resolution = run.data.resolution
    out: dict[str, float] = {}
    was_training = {r: m.training for r, m in run.models.items()}
    run.models.eval()
    try:
        for name, (_, _, src, tgt) in DIRECTIONS.items():
            fake = translate(run, name, scenes(SCENE_SEED, src, n, resolution))
            swd = ganforge.build("metric", "swd", run.data)
            swd.update(fake, scenes(REFERENCE_SEED, tgt, n, resolution))
            psnr = ganforge.build("metric", "psnr", run.data)
            psnr.update(fake, scenes(SCENE_SEED, tgt, n, resolution))
            out[f"swd_{name}"] = swd.compute()["swd"]
            out[f"psnr_{name}"] = psnr.compute()["psnr"]
    finally:
        for role, flag in was_training.items():
            run.models[role].train(flag)
    out["swd"] = (out["swd_ab"] + out["swd_ba"]) / 2
    out["psnr"] = (out["psnr_ab"] + out["psnr_ba"]) / 2
    return out


def train_arm(arm: str, seed: int, steps: int, n: int, folder: Path) -> dict[str, float]:
    overrides = [f"strategy.decoupled={str(ARMS[arm]).lower()}", f"train.steps={steps}", f"train.seed={seed}",
                 f"data.seed={TRAIN_SEED}", f"schedule.decay_steps={steps // 2}", "train.sample_every=0",
                 f"train.checkpoint_every={steps}"]
    trainer = Trainer(load_config(CONFIG, overrides), folder / f"{arm}_seed{seed}", show_progress=False,
                      source=str(CONFIG))
    before = measure(trainer.run, n)
    start = time.perf_counter()
    trainer.fit()
    wall = time.perf_counter() - start
    after = measure(trainer.run, n)
    return {"arm": arm, "seed": seed, "steps": steps, "wall_s": wall, **{f"init_{k}": v for k, v in before.items()},
            **after}


def table(rows: list[dict[str, float]]) -> str:
    keys = ("swd_ab", "swd_ba", "swd", "init_swd", "psnr_ab", "psnr_ba", "psnr")
    lines = ["| arm | seed | steps | wall (s) | SWD ab | SWD ba | SWD | SWD at init | PSNR ab | PSNR ba | PSNR |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['arm']} | {r['seed']} | {r['steps']} | {r['wall_s']:.0f} | "
                     + " | ".join(f"{r[k]:.{1 if 'swd' in k else 2}f}" for k in keys) + " |")
    for arm in ARMS:
        mine = [r for r in rows if r["arm"] == arm]
        if len(mine) > 1:
            lines.append(f"| {arm}, mean | | | | " + " | ".join(
                f"{statistics.mean(r[k] for r in mine):.{1 if 'swd' in k else 2}f}" for k in keys) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600, help="training steps per arm")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="training seeds (weights, batches)")
    parser.add_argument("--arms", nargs="+", choices=list(ARMS), default=list(ARMS), help="which arms to train")
    parser.add_argument("--images", type=int, default=128, help="held-out images per direction")
    parser.add_argument("--runs", type=Path, default=None, help="keep the run folders here (default: temporary)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    parser.add_argument("--table", type=Path, nargs="+", default=None, help="only print the table of these JSONs")
    args = parser.parse_args()
    if args.table:
        print(table([row for path in args.table for row in json.loads(path.read_text())]))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.runs or Path(tmp)
        for seed in args.seeds:
            for arm in args.arms:  # the arms alternate, so both see the same machine load
                rows.append(train_arm(arm, seed, args.steps, args.images, folder))
                print(json.dumps(rows[-1]), flush=True)
    print(table(rows))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()

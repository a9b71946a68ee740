"""ganforge against a paper's official code: full training iterations, side by side.

    python benchmarks/vs_official.py spade --official /path/to/NVlabs/SPADE            # ADE20K, with VGG
    python benchmarks/vs_official.py spade --official /path/to/NVlabs/SPADE --no-vgg
    python benchmarks/vs_official.py spade --official ... --set lookup=false            # dense one-hot convs
    python benchmarks/vs_official.py stargan_v2 --official /path/to/clovaai/stargan-v2 --batch 2   # AFHQ
    python benchmarks/vs_official.py nice_gan --official /path/to/alpc91/NICE-GAN-pytorch   # horse2zebra

The official repository is a local checkout given by path (never vendored). Both sides
get the same weights (the official networks are built, then loaded into ours with the
plugin's importer) and the same batch; a first check compares their generator outputs.
Each side then runs in its own process, one thread (``OMP_NUM_THREADS=1``), one round
after the other, alternating which goes first, so that both see the same machine load:
each round builds the networks, runs ``--warmup`` untimed iterations, then times
``--steps`` iterations (D step + G step: forward, backward, optimiser, as each trainer
does them). Reported: per-iteration CPU and wall time (median over rounds), their
ratios ganforge/official, and each process's peak RSS. StarGAN v2 and NICE-GAN
(``official_adapters/``) compare outputs after round 0's first iteration instead.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve()


# ---------------------------------------------------------------------------- SPADE

def spade_official(official: Path, vgg: bool, workdir: Path):
    """NVlabs/SPADE's Pix2PixTrainer at its ADE20K options, on the CPU."""
    import torchvision

    import pickle

    sys.path.insert(0, str(official))
    sys.modules.setdefault("dill", pickle)  # util.py imports dill only to pickle options
    if not (official / "models/networks/sync_batchnorm/__init__.py").exists():
        # A git submodule, often not checked out. On one CPU process its SynchronizedBatchNorm2d
        # runs F.batch_norm exactly as nn.BatchNorm2d does, so that is what stands in.
        import types
        stub = types.ModuleType("models.networks.sync_batchnorm")
        stub.SynchronizedBatchNorm2d, stub.DataParallelWithCallback = torch.nn.BatchNorm2d, None
        sys.modules["models.networks.sync_batchnorm"] = stub
    real_vgg19 = torchvision.models.vgg19
    torchvision.models.vgg19 = lambda pretrained=False, **kw: real_vgg19(weights=None)  # no download
    torch.Tensor.cuda = lambda self, *a, **k: self  # VGGLoss calls .cuda() unconditionally
    torch.nn.Module.cuda = lambda self, *a, **k: self
    from options.train_options import TrainOptions
    from trainers.pix2pix_trainer import Pix2PixTrainer

    argv = ["train.py", "--dataset_mode", "ade20k", "--dataroot", str(workdir), "--gpu_ids", "-1",
            "--checkpoints_dir", str(workdir / "official"), "--name", "bench", "--batchSize", "1"]
    if not vgg:
        argv.append("--no_vgg_loss")
    saved, sys.argv = sys.argv, argv
    try:
        opt = TrainOptions().parse()
    finally:
        sys.argv = saved
    return Pix2PixTrainer(opt)


def spade_ganforge_config(workdir: Path, vgg: bool, overrides: dict) -> dict:
    import yaml

    cfg = yaml.safe_load((HERE.parents[1] / "plugins/spade/configs/ade20k.yaml").read_text())
    cfg["data"]["root"] = str(workdir / "ade")
    cfg["strategy"]["vgg"] = {"type": "vgg19_perceptual", "weights": "none"} if vgg else None
    cfg["train"] = {"steps": 10, "batch_size": 1, "device": "cpu", "sample_every": 0, "checkpoint_every": 0,
                    "precision": "fp32", "num_workers": 0}
    cfg["schedule"] = {"type": "constant"}
    if "lookup" in overrides:
        cfg["models"]["generator"]["norm"]["lookup"] = overrides["lookup"]
        cfg["models"]["discriminator"]["lookup"] = overrides["lookup"]
    return cfg


def write_ade20k(root: Path, seed: int = 0) -> None:
    """A two-image ADE20K folder (random ids 0..150 in the file convention) for the loader."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for split in ("images", "annotations"):
        (root / split / "training").mkdir(parents=True, exist_ok=True)
    for i in range(2):
        blocks = rng.integers(0, 151, (16, 16)).astype(np.uint8)  # 16x16 px regions, as scenes have
        Image.fromarray(np.kron(blocks, np.ones((16, 16), np.uint8))).save(
            root / "annotations/training" / f"ADE_train_{i:08d}.png")
        Image.fromarray(rng.integers(0, 256, (256, 256, 3)).astype(np.uint8)).save(
            root / "images/training" / f"ADE_train_{i:08d}.jpg")


def spade_batch(workdir: Path) -> dict:
    """The batch both sides train on: (1, 256, 256) ids with the don't-care id 150, an image."""
    from PIL import Image

    raw = np.array(Image.open(workdir / "ade/annotations/training/ADE_train_00000000.png")).astype(np.int64)
    ids = raw - 1
    ids[raw == 0] = 150
    image = torch.rand(1, 3, 256, 256, generator=torch.Generator().manual_seed(1)) * 2 - 1
    return {"label": torch.from_numpy(ids)[None], "image": image}


def spade_setup(workdir: Path, vgg: bool) -> None:
    """Official networks with seeded random weights -> state files both sides load."""
    write_ade20k(workdir / "ade")
    torch.manual_seed(0)
    trainer = spade_official(Path(os.environ["VS_OFFICIAL"]), vgg, workdir)
    model = trainer.pix2pix_model
    state = {"G": model.netG.state_dict(), "D": model.netD.state_dict()}
    if vgg:
        state["vgg"] = model.criterionVGG.vgg.state_dict()
    torch.save(state, workdir / "weights.pt")


def spade_side(side: str, workdir: Path, vgg: bool, overrides: dict):
    """(step function, a forward for the output check) of one side."""
    state = torch.load(workdir / "weights.pt", weights_only=True)
    batch = spade_batch(workdir)
    if side == "official":
        trainer = spade_official(Path(os.environ["VS_OFFICIAL"]), vgg, workdir)
        model = trainer.pix2pix_model
        model.netG.load_state_dict(state["G"])
        model.netD.load_state_dict(state["D"])
        if vgg:
            model.criterionVGG.vgg.load_state_dict(state["vgg"])
        data = {"label": batch["label"][:, None].float(), "instance": torch.zeros(1), "image": batch["image"],
                "path": ["x"]}

        def step():
            trainer.run_generator_one_step(dict(data))
            trainer.run_discriminator_one_step(dict(data))

        def forward():
            semantics, _ = model.preprocess_input(dict(data))
            return model.netG(semantics)
        return step, forward

    from ganforge.config import from_dict
    from ganforge.trainer import Trainer
    from ganforge_spade.convert import from_official

    exp = from_dict(spade_ganforge_config(workdir, vgg, overrides), "vs_official")
    trainer = Trainer(exp, workdir / f"run-{os.getpid()}", show_progress=False)
    models = trainer.run.models
    models["generator"].load_state_dict(from_official(models["generator"], state["G"]))
    models["discriminator"].load_state_dict(from_official(models["discriminator"], state["D"]))
    if vgg:
        load_vgg(trainer, state["vgg"])

    def step():
        trainer.train_step({k: v.clone() for k, v in batch.items()})

    def forward():
        from ganforge import Condition
        return models["generator"](Condition(label=batch["label"]))
    return step, forward


def load_vgg(trainer, official_vgg: dict) -> None:
    """The official VGG19 slices' weights into our perceptual loss (same layer indices)."""
    (loss,) = [s.vgg for s in trainer.strategies if getattr(s, "vgg", None) is not None]
    loss.load_state_dict({f"slices.{int(k[5]) - 1}.{k.split('.', 1)[1]}": v for k, v in official_vgg.items()})


PAPERS = {"spade": (spade_setup, spade_side)}

# more papers, one module each (benchmarks/official_adapters/)
from official_adapters import CHECK_AFTER_STEP, PAPERS as MORE_PAPERS  # noqa: E402

PAPERS.update(MORE_PAPERS)


# ---------------------------------------------------------------------------- driver

def worker(args) -> None:
    torch.set_num_threads(1)
    overrides = dict(kv.split("=", 1) for kv in args.set)
    overrides = {k: json.loads(v) for k, v in overrides.items()}
    setup, side_fn = PAPERS[args.paper]
    step, forward = side_fn(args.side, Path(args.workdir), args.vgg, overrides)
    for i in range(args.warmup):
        step()
        if i == 0 and args.probe:  # the outputs after one iteration (see probe_diffs)
            torch.save(forward(), args.probe)
    cpu, wall = [], []
    for _ in range(args.steps):
        c0, w0 = time.process_time(), time.perf_counter()
        step()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20  # KiB -> GiB
    print("RESULT " + json.dumps({"cpu": statistics.median(cpu), "wall": statistics.median(wall), "rss_gib": rss,
                                  "load1": os.getloadavg()[0]}))


def check_outputs(args, workdir: Path, overrides: dict) -> float:
    """Max |official G(s) - ganforge G(s)| on the benchmark batch, same weights, train mode."""
    _, side_fn = PAPERS[args.paper]
    outs = []
    for side in ("official", "ganforge"):
        torch.manual_seed(0)
        _, forward = side_fn(side, workdir, args.vgg, overrides)
        with torch.no_grad():
            outs.append(forward())
    return float((outs[0] - outs[1]).abs().max())


def probe_diffs(workdir: Path) -> dict[str, float]:
    """Max |official - ganforge| of each probe output after one training iteration on the
    benchmark batch from the same weights (saved by round 0's workers after their first
    warm-up iteration)."""
    outs = {side: torch.load(workdir / f"probe-{side}.pt", weights_only=True) for side in ("official", "ganforge")}
    return {k: float((v - outs["ganforge"][k]).abs().max()) for k, v in outs["official"].items()}


def run_worker(args, workdir: Path, side: str, extra: list[str]) -> str:
    """``side``'s worker process with this run's settings, one thread; its stdout."""
    cmd = [sys.executable, str(HERE), args.paper, "--official", str(args.official), "--side", side,
           "--workdir", str(workdir), "--rounds", "1", "--steps", str(args.steps),
           "--warmup", str(args.warmup)] + sum((["--set", kv] for kv in args.set), []) + extra
    if not args.vgg:
        cmd.append("--no-vgg")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"error: the {side} worker failed:\n{out.stderr[-3000:]}")
    return out.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paper", choices=sorted(PAPERS))
    parser.add_argument("--official", type=Path, required=True, help="local checkout of the official repository")
    parser.add_argument("--no-vgg", dest="vgg", action="store_false", help="SPADE: without the VGG loss")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=2, help="timed iterations per round")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--set", action="append", default=[], help="ganforge override KEY=JSON (lookup=false)")
    parser.add_argument("--json", type=Path, help="write the results here too")
    parser.add_argument("--batch", type=int, default=2, help="StarGAN v2: batch size (official AFHQ: 8)")
    parser.add_argument("--side", help=argparse.SUPPRESS)
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["VS_OFFICIAL"] = str(args.official.resolve())
    os.environ["VS_BATCH"] = str(args.batch)
    if args.side:
        return worker(args)

    overrides = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        PAPERS[args.paper][0](workdir, args.vgg)
        diffs, after_step = None, args.paper in CHECK_AFTER_STEP
        if after_step and args.warmup < 1:
            sys.exit(f"error: --warmup must be at least 1 for {args.paper} (outputs are compared after it)")
        if not after_step:
            diff = check_outputs(args, workdir, overrides)
            print(f"max |G_official - G_ganforge| = {diff:.2e}", flush=True)
        results = {"official": [], "ganforge": []}
        for r in range(args.rounds):
            order = ("official", "ganforge") if r % 2 == 0 else ("ganforge", "official")
            for side in order:
                probe = ["--probe", str(workdir / f"probe-{side}.pt")] if after_step and r == 0 else []
                line = [ln for ln in run_worker(args, workdir, side, probe).splitlines() if ln.startswith("RESULT ")]
                if not line:
                    sys.exit(f"error: the {side} worker printed no result")
                res = json.loads(line[-1][7:])
                results[side].append(res)
                print(f"round {r} {side:<9} cpu {res['cpu']:.2f} s/it  wall {res['wall']:.2f} s/it  "
                      f"peak RSS {res['rss_gib']:.2f} GiB  load {res['load1']:.1f}", flush=True)
            if r == 0 and after_step:
                diffs = probe_diffs(workdir)
                diff = max(diffs.values())
                for k, v in diffs.items():
                    print(f"after one iteration: max |official - ganforge| of {k} = {v:.2e}", flush=True)
    med = {s: {k: statistics.median(x[k] for x in v) for k in ("cpu", "wall", "rss_gib")} for s, v in results.items()}
    ratios = [g["cpu"] / o["cpu"] for g, o in zip(results["ganforge"], results["official"])]
    summary = {"paper": args.paper, "vgg": args.vgg, "set": args.set, "rounds": args.rounds, "steps": args.steps,
               "max_output_diff": diff, "output_diffs_after_one_iteration": diffs, "median": med,
               "cpu_ratio": med["ganforge"]["cpu"] / med["official"]["cpu"], "cpu_ratio_per_round": ratios,
               "per_round": results, "wall_ratio": med["ganforge"]["wall"] / med["official"]["wall"],
               "torch": torch.__version__, "cpu_model": cpu_model(), "load": os.getloadavg()}
    if args.paper == "stargan_v2":
        summary["batch"] = args.batch
    print(json.dumps(summary, indent=1))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1) + "\n")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    main()

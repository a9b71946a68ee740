"""The check to run the day a GPU is lent: every plugin's synthetic config trains a few
steps in each numeric mode, and SPADE and StarGAN v2 run at the paper's resolution.

    python benchmarks/gpu_check.py --out gpu_check.json                 # CUDA, < 8 minutes on one GPU
    python benchmarks/gpu_check.py --device cpu --quick --out x.json    # the CI smoke run (seconds)

Modes: fp32, bf16 autocast, fp16 with GradScaler, channels_last, torch.compile. Each
(config, mode) trains ``--steps`` steps through the real trainer and records ok / the
error line, the steady-state step time (steps after the first) and peak GPU memory. Paper
runs (SPADE ADE20K 256x256 with VGG, StarGAN v2 AFHQ 256x256) use fake data in the
datasets' own layouts, fp32 and bf16, the one-hot lookup on and off for SPADE. One JSON
file holds everything. ``--quick``: SPADE's synthetic config only, one step per mode, tiny
paper-run stand-ins (64 px); modes the device cannot run (fp16 on CPU) are recorded as
skipped with the reason, never silently dropped.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
MODES = {
    "fp32": {"precision": "fp32"},
    "bf16": {"precision": "bf16"},
    "fp16": {"precision": "fp16"},
    "channels_last": {"precision": "fp32", "channels_last": True},
    "compile": {"precision": "fp32", "compile": True},
}
# Inductor's C++ code generation takes CPU-minutes for SPADE's networks (docs/benchmarks.md)
COMPILE_ON_CPU = "compile takes CPU-minutes of C++ compilation; tests/trainer/test_compile.py covers it on CPU"


def synthetic_configs(quick: bool) -> list[Path]:
    found = sorted(ROOT.glob("plugins/*/configs/synthetic*.yaml"))
    return [p for p in found if p.parent.parent.name == "spade"] if quick else found


def train(cfg: dict, steps: int, device: str, workdir: Path) -> dict:
    """Train ``steps`` steps; the median step time after the first, peak memory."""
    from ganforge.config import from_dict
    from ganforge.trainer import Trainer

    cfg = {**cfg, "train": {**cfg.get("train", {}), "steps": steps, "device": device, "sample_every": 0,
                            "checkpoint_every": 0, "num_workers": 0}}
    cfg.pop("eval", None)
    trainer = Trainer(from_dict(cfg, "gpu_check"), workdir, show_progress=False)
    if torch.cuda.is_available() and device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    times = []
    raw = fixed_raw(trainer, cfg["train"]["batch_size"])
    for _ in range(steps):
        sync(device)
        t0 = time.perf_counter()
        logs = trainer.train_step(raw)
        sync(device)
        times.append(time.perf_counter() - t0)
    finite = all(np.isfinite(v) for v in logs.values())
    mem = torch.cuda.max_memory_allocated() / 2 ** 30 if device == "cuda" else None
    return {"ok": finite, "first_step_s": times[0], "step_s": float(np.median(times[1:])) if steps > 1 else None,
            "peak_gib": mem, **({} if finite else {"error": f"non-finite losses {logs}"})}


def fixed_raw(trainer, batch_size: int) -> dict:
    """One collated batch of the run's dataset (the same every step)."""
    return torch.utils.data.default_collate([trainer.dataset[i % len(trainer.dataset)] for i in range(batch_size)])


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def attempt(name: str, cfg: dict, steps: int, device: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            result = train(cfg, steps, device, Path(tmp))
        except Exception as e:  # one failing mode must not hide the others' results
            result = {"ok": False, "error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}",
                      "where": traceback.format_exc().splitlines()[-3].strip()}
    status = "ok" if result["ok"] else f"FAILED {result.get('error')}"
    step = f"{result['step_s'] * 1e3:.0f} ms/step" if result.get("step_s") else ""
    print(f"{name:<60} {status} {step}", flush=True)
    return {"name": name, **result}


def fake_ade20k(root: Path, size: int) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for split in ("images", "annotations"):
        (root / split / "training").mkdir(parents=True, exist_ok=True)
    for i in range(4):
        blocks = rng.integers(0, 151, (size // 16, size // 16)).astype(np.uint8)
        Image.fromarray(np.kron(blocks, np.ones((16, 16), np.uint8))).save(root / f"annotations/training/{i}.png")
        Image.fromarray(rng.integers(0, 256, (size, size, 3)).astype(np.uint8)).save(root / f"images/training/{i}.jpg")


def fake_afhq(root: Path, size: int) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for domain in ("cat", "dog", "wild"):
        (root / "train" / domain).mkdir(parents=True, exist_ok=True)
        for i in range(4):
            Image.fromarray(rng.integers(0, 256, (size, size, 3)).astype(np.uint8)).save(root / "train" / domain / f"{i}.jpg")


def paper_runs(quick: bool, workdir: Path) -> list[tuple[str, dict]]:
    """(name, config) of the paper-resolution runs; --quick shrinks them to 64 px."""
    size = 64 if quick else 256
    fake_ade20k(workdir / "ade", size)
    spade = yaml.safe_load((ROOT / "plugins/spade/configs/ade20k.yaml").read_text())
    spade["data"].update(root=str(workdir / "ade"), load_size=size, crop_size=size)
    spade["strategy"]["vgg"] = {"type": "vgg19_perceptual", "weights": "none"}
    spade["train"] = {"batch_size": 1 if quick else 4}
    if quick:
        spade["models"]["generator"]["ngf"] = spade["models"]["discriminator"]["ndf"] = 8
    star = yaml.safe_load((ROOT / "plugins/stargan_v2/configs/afhq.yaml").read_text())
    star_size = 32 if quick else size
    fake_afhq(workdir / "afhq", star_size)
    star["data"].update(root=str(workdir / "afhq"), load_size=star_size, crop_size=star_size)
    star["train"] = {"batch_size": 2 if quick else 8}
    if quick:
        for role in ("generator", "discriminator", "style_encoder"):
            star["models"][role]["max_conv_dim"] = 16
    runs = []
    for precision in ("fp32", "bf16"):
        for lookup in (True, False):
            cfg = json.loads(json.dumps(spade))
            cfg["models"]["generator"]["norm"]["lookup"] = cfg["models"]["discriminator"]["lookup"] = lookup
            cfg["train"]["precision"] = precision
            runs.append((f"paper spade ade20k {size}px vgg {precision} lookup={lookup}", cfg))
        cfg = json.loads(json.dumps(star))
        cfg["train"]["precision"] = precision
        runs.append((f"paper stargan_v2 afhq {star_size}px {precision}", cfg))
    return runs


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument("--quick", action="store_true", help="the CI smoke run: SPADE only, tiny paper stand-ins")
    parser.add_argument("--steps", type=int, default=None, help="steps per run (default 4; 2 with --quick)")
    parser.add_argument("--paper-steps", type=int, default=None, help="steps per paper run (default 6; 2 quick)")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of " + ",".join(MODES))
    parser.add_argument("--out", type=Path, default=Path("gpu_check.json"))
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no CUDA device (use --device cpu --quick for the smoke run)")
    steps = args.steps or (2 if args.quick else 4)
    paper_steps = args.paper_steps or (2 if args.quick else 6)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"--modes: unknown {sorted(unknown)}; choose from {', '.join(MODES)}")
    started = time.perf_counter()
    results = []
    for path in synthetic_configs(args.quick):
        base = yaml.safe_load(path.read_text())
        for mode in modes:
            name = f"{path.relative_to(ROOT)} {mode}"
            if mode == "fp16" and args.device == "cpu":
                results.append({"name": name, "ok": None, "skipped": "fp16 needs CUDA (GradScaler)"})
                continue
            if mode == "compile" and args.quick:
                results.append({"name": name, "ok": None, "skipped": COMPILE_ON_CPU})
                continue
            cfg = json.loads(json.dumps(base))
            cfg["train"] = {**cfg.get("train", {}), **MODES[mode]}
            if args.quick:
                cfg["train"]["batch_size"] = 2
            results.append(attempt(name, cfg, steps, args.device))
    with tempfile.TemporaryDirectory() as tmp:
        for name, cfg in paper_runs(args.quick, Path(tmp)):
            if "bf16" in name and "bf16" not in modes:
                continue
            results.append(attempt(name, cfg, paper_steps, args.device))
    device = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
    report = {"device": device, "torch": torch.__version__, "quick": args.quick, "seconds": time.perf_counter() - started,
              "failed": [r["name"] for r in results if r["ok"] is False], "results": results}
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"{len(results)} runs, {len(report['failed'])} failed, {report['seconds']:.0f} s -> {args.out}")
    return report


if __name__ == "__main__":
    raise SystemExit(1 if main()["failed"] else 0)

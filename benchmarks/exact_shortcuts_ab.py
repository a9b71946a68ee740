"""A/B of the exact shortcuts found by profiling (docs/benchmarks.md) on ganforge's full
training iteration, "before" (the official op order patched back in) against "after"
(the code as it is).

    OMP_NUM_THREADS=1 python benchmarks/exact_shortcuts_ab.py stargan_v2 --size 128 --batch 1 --reps 3
    OMP_NUM_THREADS=1 python benchmarks/exact_shortcuts_ab.py nice_gan --size 128 --reps 3   # light generator

stargan_v2 (plugins/stargan_v2/configs/afhq.yaml): "before" = the residual blocks' 1x1
skip conv then pool, conv1 then pool, upsample then 1x1 skip conv, upsample then conv1;
"after" = the pooled skip, the 1x1 skip before the upsampling and the strided forms of
`ganforge.resample_conv`. nice_gan
(horse2zebra.yaml, light generator, one image per domain): "before" = ILN / AdaILN as
the official code computes them (whole IN and LN tensors, then mixed); "after" = the mix
as one per-channel affine map. One process, one thread, the two interleaved (ABBA...),
each rep one `Trainer.train_step` on a fixed batch; CPU time by time.process_time.
Prints per-rep times and the median ratio after/before; ``--json`` writes them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))


def stargan_v2_official_order():
    """Patches that restore the official op order; returns an undo function."""
    from ganforge_stargan_v2.generator import AdaINResBlock
    from ganforge_stargan_v2.layers import ResBlock

    saved = (ResBlock.shortcut, ResBlock.residual, AdaINResBlock.shortcut, AdaINResBlock.residual)

    def shortcut(self, x):
        if self.skip is not None:
            x = self.skip(x)
        return F.avg_pool2d(x, 2) if self.downsample else x

    def residual(self, x):
        if self.normalize:
            x = self.norm1(x)
        x = self.conv1(F.leaky_relu(x, 0.2))
        if self.downsample:
            x = F.avg_pool2d(x, 2)
        if self.normalize:
            x = self.norm2(x)
        return self.conv2(F.leaky_relu(x, 0.2))

    def up_shortcut(self, x):
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        return self.skip(x) if self.skip is not None else x

    def up_residual(self, x, cond):
        x = F.leaky_relu(self.norm1(x, cond), 0.2)
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = self.conv1(x)
        return self.conv2(F.leaky_relu(self.norm2(x, cond), 0.2))

    ResBlock.shortcut, ResBlock.residual = shortcut, residual
    AdaINResBlock.shortcut, AdaINResBlock.residual = up_shortcut, up_residual

    def undo():
        ResBlock.shortcut, ResBlock.residual, AdaINResBlock.shortcut, AdaINResBlock.residual = saved
    return undo


def nice_gan_official_iln():
    """ILN / AdaILN's mix computed as the official code does; returns an undo function."""
    import ganforge_nice_gan.layers as layers

    saved = layers.mix_instance_layer

    def official(x, rho, eps, gamma, beta):
        in_mean, in_var = torch.mean(x, dim=[2, 3], keepdim=True), torch.var(x, dim=[2, 3], keepdim=True)
        out_in = (x - in_mean) / torch.sqrt(in_var + eps)
        ln_mean, ln_var = torch.mean(x, dim=[1, 2, 3], keepdim=True), torch.var(x, dim=[1, 2, 3], keepdim=True)
        out_ln = (x - ln_mean) / torch.sqrt(ln_var + eps)
        r = torch.softmax(rho, 2)
        return (r[:, :, 0, None, None] * out_in + r[:, :, 1, None, None] * out_ln) * gamma + beta

    layers.mix_instance_layer = official

    def undo():
        layers.mix_instance_layer = saved
    return undo


# paper -> (config, domains, batch of the official step or None for --batch, extra settings, "before" patch)
PAPERS = {
    "stargan_v2": ("plugins/stargan_v2/configs/afhq.yaml", ["cat", "dog", "wild"], None, [],
                   stargan_v2_official_order),
    "nice_gan": ("plugins/nice_gan/configs/horse2zebra.yaml", ["A", "B"], 2,
                 ["models.generator_ab.light=true", "models.generator_ba.light=true"], nice_gan_official_iln),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paper", choices=sorted(PAPERS))
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--reps", type=int, default=3, help="pairs of (before, after) iterations")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.environ["VS_SIZE"] = str(args.size)
    from official_adapters.common import ganforge_trainer, size_settings, write_class_folders

    config, domains, batch_size, settings, before = PAPERS[args.paper]
    batch_size = batch_size or args.batch
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        write_class_folders(workdir / "data", domains, args.size)
        torch.manual_seed(0)
        trainer = ganforge_trainer(HERE.parents[1] / config, workdir, batch_size, [*size_settings(), *settings])
        batch = {"image": torch.rand(batch_size, 3, args.size, args.size) * 2 - 1,
                 "domain": torch.arange(batch_size) % len(domains)}
        trainer.train_step({k: v.clone() for k, v in batch.items()})  # warm-up
        times: dict[str, list[float]] = {"before": [], "after": []}
        for r in range(args.reps):
            for variant in ("before", "after") if r % 2 == 0 else ("after", "before"):
                undo = before() if variant == "before" else (lambda: None)
                c0 = time.process_time()
                trainer.train_step({k: v.clone() for k, v in batch.items()})
                times[variant].append(time.process_time() - c0)
                undo()
                print(f"rep {r} {variant:<6} {times[variant][-1]:.2f} CPU s", flush=True)
    ratios = [a / b for a, b in zip(times["after"], times["before"])]
    summary = {"paper": args.paper, "size": args.size, "batch": batch_size, "reps": args.reps, "cpu_s": times,
               "ratio_after_before_median": statistics.median(ratios), "ratios": ratios,
               "torch": torch.__version__, "load_after": os.getloadavg()}
    print(json.dumps(summary, indent=1))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""Why a demo run's sample grid can look worse than its training: batch statistics.

    OMP_NUM_THREADS=1 python benchmarks/demo_norm_modes.py RUN_OR_CHECKPOINT [GRID.png]

SPADE's normalisers are batch norms; the sample grids and evaluations use eval mode
(running statistics), as SPADE's test.py does. At 32x32 the generator starts from a 1x1
map, so at batch 4 a head layer normalises 4 numbers per channel. This prints the mean
L1 distance to the real images of dataset scenes 0-7 with the generator in eval mode, in
train mode (statistics of these 8), and in eval mode after re-estimating the running
statistics (cumulative average, no weight change) from 64 random scenes in batches of 4
and of 16. Optionally writes a grid: eval mode, train mode, real. Results: docs/results.md.
"""

import json
import sys

import numpy as np
import torch
from PIL import Image
from torch import nn

from ganforge import registry
from ganforge.scenes import Scene
from ganforge.trainer.restore import restore


def recalibrated_l1(restored, generator, images, cond, batch: int, rng) -> float:
    """Eval-mode L1 after re-estimating every batch norm's running statistics."""
    for m in generator.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # cumulative average
    generator.train()
    for _ in range(64 // batch):
        generator(restored.scenes([Scene(index=int(i)) for i in rng.integers(100, 5000, batch)])[1])
    generator.eval()
    return (generator(cond) - images).abs().mean().item()


def tiles(batch: torch.Tensor) -> np.ndarray:
    return np.concatenate([((x.permute(1, 2, 0).numpy() + 1) / 2).clip(0, 1) for x in batch], 1)


if __name__ == "__main__":
    torch.set_num_threads(1)
    registry.load()
    restored = restore(sys.argv[1])
    generator = restored.network("generator")
    images, cond = restored.scenes([Scene(index=i) for i in range(8)])
    with torch.no_grad():
        in_eval = generator.eval()(cond)
        in_train = generator.train()(cond)
        result = {"step": restored.step, "eval_l1": (in_eval - images).abs().mean().item(),
                  "train_l1": (in_train - images).abs().mean().item()}
        rng = np.random.default_rng(1)
        for batch in (4, 16):
            result[f"recalibrated_b{batch}_l1"] = recalibrated_l1(restored, generator, images, cond, batch, rng)
    print(json.dumps({k: round(v, 4) for k, v in result.items()}))
    if len(sys.argv) > 2:
        grid = np.concatenate([tiles(in_eval), tiles(in_train), tiles(images)], 0)
        Image.fromarray((grid * 255).astype(np.uint8)).save(sys.argv[2])

"""How fast can the demo's generator learn the scene at all? Train it alone on the pixel L1.

    OMP_NUM_THREADS=1 python benchmarks/demo_supervised.py GRID.png STEPS LR [KEY=VALUE ...]

No discriminator: the generator of synthetic_demo.yaml (with the overrides) regresses the
real image from its label map, batch 4, Adam (0, 0.9) as SPADE, one thread. Prints the
training L1 every 50 steps, then the eval-mode L1 on dataset scenes 0-7, and writes a grid
(generated, real). If this is blurred, no GAN loss will be sharper at the same step count.
Results: docs/results.md ("What holds it back").
"""

import sys
import time

import numpy as np
import torch
from PIL import Image

from ganforge import registry
from ganforge.cli_train import demo_config
from ganforge.config import load_config, verify
from ganforge.scenes import Scene, load_scenes
from ganforge.trainer import build_networks


def tiles(batch: torch.Tensor) -> np.ndarray:
    return np.concatenate([((x.permute(1, 2, 0).numpy() + 1) / 2).clip(0, 1) for x in batch], 1)


if __name__ == "__main__":
    torch.set_num_threads(1)
    registry.load()
    torch.manual_seed(0)
    out, steps, lr, overrides = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
    exp = load_config(str(demo_config()), overrides)
    dataset = registry.build("dataset", exp.data, path="data")
    info = verify(exp, dataset.info())
    generator = build_networks(exp, info)[0]["generator"]
    opt = torch.optim.Adam(generator.parameters(), lr=lr, betas=(0.0, 0.9))
    rng, cpu = np.random.default_rng(0), time.process_time()
    for step in range(steps):
        images, cond = load_scenes([Scene(index=int(i)) for i in rng.integers(100, 5000, 4)], info, lambda: dataset)
        loss = (generator(cond) - images).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0:
            print(step, round(loss.item(), 4), flush=True)
    images, cond = load_scenes([Scene(index=i) for i in range(8)], info, lambda: dataset)
    with torch.no_grad():
        generated = generator.eval()(cond)
    print(f"cpu_s {time.process_time() - cpu:.1f} eval_l1 {(generated - images).abs().mean().item():.4f}")
    Image.fromarray((np.concatenate([tiles(generated), tiles(images)], 0) * 255).astype(np.uint8)).save(out)

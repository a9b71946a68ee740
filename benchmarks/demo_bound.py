"""How well can any generator match the demo's real images, given only the label map?

    OMP_NUM_THREADS=1 python benchmarks/demo_bound.py [RESOLUTION] [SCENES] [GRID.png]

The synthetic world draws each scene's colours and textures (``SyntheticWorld.style``:
things 0.5 x class colour + 0.5 x uniform, stuff class colour +-0.12, random stripes and
noise) and its sun independently of the layout, so the label map does not determine the
real image. For SCENES scenes of the demo's world (seed 0, day look) this renders the same
layout with other style draws and prints PSNR / SSIM / SWD (the metrics the demo
evaluates, 8-bit; SWD over the SCENES images, as the demo's over its 32) of:

* ``other_style``: one other draw against the real image: what a perfect *sampler* of the
  scene's distribution scores (it draws its own colours);
* ``mean_of_32``: the average of 32 other draws (about the conditional mean): roughly
  the best a *deterministic* generator can score on PSNR, since the mean minimises the
  squared error.

GRID.png (optional): scenes 0-7 as rows real, other draw, mean of 32.

Results: docs/results.md ("The demo").
"""

import json
import sys

import numpy as np
import torch
from PIL import Image

from ganforge.data.synthetic import SyntheticParams, SyntheticWorld
from ganforge.data.synthetic.classes import DOMAINS, apply_domain
from ganforge.data.synthetic.render import render_layout, shade
from ganforge.metrics.pixel import psnr_per_image, ssim_per_image
from ganforge.metrics.images import to_uint8
from ganforge.metrics.swd import SWD, SWDParams


def redraw(world: SyntheticWorld, index: int, rng: np.random.Generator) -> torch.Tensor:
    """Sample ``index``'s layout under a style drawn from ``rng``: (3, H, W) in [-1, 1]."""
    h, w = world.params.resolution
    layout = render_layout(world.scene(index), h, w, world._stuff_ids, world._thing_ids, world.shapes)
    rgb = apply_domain(shade(layout, world.style(rng), int(rng.integers(0, 2 ** 20))), DOMAINS[0])
    return torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1))) * 2 - 1


def scores(world: SyntheticWorld, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    swd = SWD(SWDParams(), world.info())
    swd.update(x, y)
    x, y = to_uint8(x).double(), to_uint8(y).double()
    return {"psnr": round(psnr_per_image(x, y).mean().item(), 2), "ssim": round(ssim_per_image(x, y).mean().item(), 3),
            "swd": round(swd.compute()["swd"], 1)}


if __name__ == "__main__":
    torch.set_num_threads(1)
    res = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    world = SyntheticWorld(SyntheticParams(resolution=res, num_domains=1, fields=("label",)))
    rng = np.random.default_rng(12345)
    real = torch.stack([world[i]["image"] for i in range(count)])
    other = torch.stack([redraw(world, i, rng) for i in range(count)])
    mean = torch.stack([torch.stack([redraw(world, i, rng) for _ in range(32)]).mean(0) for i in range(count)])
    result = {"resolution": res, "scenes": count}
    for name, guess in (("other_style", other), ("mean_of_32", mean)):
        result[name] = scores(world, guess, real)
    print(json.dumps(result))
    if len(sys.argv) > 3:
        rows = [torch.cat(list(x[:8]), 2) for x in (real, other, mean)]
        grid = ((torch.cat(rows, 1).permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
        Image.fromarray(grid.numpy()).save(sys.argv[3])

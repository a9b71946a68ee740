"""The paper's applications (Sec. 6) as functions of a generator with the
`StyleLatentGenerator` capability and images in [-1, 1]:

* `reconstruct` — global W+ then noise embedding; PSNR / SSIM of the W+-only and the
  W+ + noise results (Table 1's comparison).
* `crossover` — one embedding following x inside a blurred mask and y outside (Fig. 1, 7).
* `inpaint` — embedding that ignores the hole, so the generator fills it (Fig. 8).
* `local_edit` — scribbles as an approximate guide: W+ only on the scribbled image, then
  noise restoring the original outside the scribbled region (Fig. 9).
* `local_style_transfer` — content of x outside the mask, the Gram statistics of y inside (Fig. 10).
* `feature_transfer` — activation-tensor copy of y's region into x's synthesis (Sec. 5, Fig. 11).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

import ganforge
from ganforge.capabilities import StyleLatentGenerator, require
from ganforge.metrics.images import to_uint8
from ganforge.metrics.pixel import psnr_per_image, ssim_per_image

from .activations import record_activations, spatial_blend
from .embed import WHO, Embedding, Schedule, embed
from .losses import PerceptualLoss, PerceptualParams, StyleLoss, StyleParams
from .masks import blur
from .objective import Objective, Target


def load_generator(checkpoint: str | os.PathLike) -> StyleLatentGenerator:
    """The generator (its EMA copy when kept) of a ganforge run folder or checkpoint,
    refused unless it has the `StyleLatentGenerator` capability."""
    from ganforge.trainer import restore

    G = restore(checkpoint).network("generator")
    require(G, StyleLatentGenerator, WHO)
    return G.requires_grad_(False) if isinstance(G, torch.nn.Module) else G


def perceptual_loss(weights: str) -> PerceptualLoss:
    return PerceptualLoss(PerceptualParams(weights=weights), ganforge.DataInfo())


def style_loss(weights: str) -> StyleLoss:
    return StyleLoss(StyleParams(weights=weights), ganforge.DataInfo())


def pixel_scores(fake: torch.Tensor, real: torch.Tensor) -> dict[str, float]:
    """Mean PSNR (dB) and SSIM of 8-bit-rounded images, as the paper reports on saved images."""
    f, r = to_uint8(fake.clamp(-1, 1)).double(), to_uint8(real).double()
    return {"psnr": float(psnr_per_image(f, r).mean()), "ssim": float(ssim_per_image(f, r).mean())}


@dataclass
class Reconstruction:
    w_only: torch.Tensor
    full: torch.Tensor
    scores: dict[str, dict[str, float]]
    embedding: Embedding


def reconstruct(G: StyleLatentGenerator, image: torch.Tensor, schedule: Schedule,
                perceptual: PerceptualLoss, seed: int = 0) -> Reconstruction:
    """W+ (MSE + perceptual) then noise (MSE); scores after the first W+ stage and at the end."""
    emb = embed(G, Objective([Target(image)], perceptual), schedule, seed=seed)
    w_stage = next((s for s in emb.snapshots if s[0] == "w"), None)
    w_only = emb.render(G, w_stage[1], w_stage[2]) if w_stage else emb.render(G)
    full = emb.render(G)
    return Reconstruction(w_only, full, {"W+": pixel_scores(w_only, image),
                                         "W+ then noise": pixel_scores(full, image)}, emb)


def crossover(G: StyleLatentGenerator, x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, schedule: Schedule,
              perceptual: PerceptualLoss, blur_sigma: float = 2.0, seed: int = 0) -> torch.Tensor:
    """x where the (blurred) mask is 1, y where it is 0, as one embedded image."""
    m = blur(mask, blur_sigma)
    objective = Objective([Target(x, m), Target(y, 1 - m)], perceptual)
    return embed(G, objective, schedule, seed=seed).render(G)


def inpaint(G: StyleLatentGenerator, image: torch.Tensor, hole: torch.Tensor, schedule: Schedule,
            perceptual: PerceptualLoss, seed: int = 0) -> torch.Tensor:
    """The embedding of ``image`` outside ``hole`` (1 = missing); the hole is the generator's."""
    return embed(G, Objective([Target(image, 1 - hole)], perceptual), schedule, seed=seed).render(G)


def local_edit(G: StyleLatentGenerator, scribbled: torch.Tensor, region: torch.Tensor, schedule: Schedule,
               perceptual: PerceptualLoss, seed: int = 0) -> torch.Tensor:
    """W+ only on the scribbled image (the scribbles are a guide the latent space turns into
    plausible content; the noise would copy them pixel for pixel), then the noise stage
    fits the image outside ``region`` (the scribbled area, 1 inside) for its detail."""
    w_only = schedule.model_copy(update={"noise_steps": 0, "rounds": 1})
    emb = embed(G, Objective([Target(scribbled)], perceptual), w_only, seed=seed)
    noise_only = schedule.model_copy(update={"w_steps": 0, "rounds": 1})
    outside = Objective([Target(scribbled, 1 - region, perceptual=0.0)])
    return embed(G, outside, noise_only, ws=emb.ws, noise=emb.noise).render(G)


def local_style_transfer(G: StyleLatentGenerator, content: torch.Tensor, style_image: torch.Tensor,
                         region: torch.Tensor, schedule: Schedule, perceptual: PerceptualLoss, style: StyleLoss,
                         style_weight: float, seed: int = 0) -> torch.Tensor:
    """``content`` outside ``region``; inside, the Gram statistics of ``style_image``'s region."""
    objective = Objective([Target(content, 1 - region),
                           Target(style_image, region, mse=0.0, perceptual=0.0, style=style_weight)],
                          perceptual, style)
    return embed(G, objective, schedule, seed=seed).render(G)


def feature_transfer(G: StyleLatentGenerator, x: torch.Tensor, y: torch.Tensor, region: torch.Tensor,
                     layers: list[str], schedule: Schedule, perceptual: PerceptualLoss,
                     seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Embed x and y together, then render x with y's activations of ``layers`` inside
    ``region``: (the edited image, the two reconstructions)."""
    emb = embed(G, Objective([Target(torch.cat([x, y]))], perceptual), schedule, seed=seed)
    source = record_activations(G, emb.ws[1:], [n[1:] for n in emb.noise], layers)
    edited = emb.render(G, emb.ws[:1], [n[:1] for n in emb.noise], edit=spatial_blend(source, region))
    return edited, emb.render(G)

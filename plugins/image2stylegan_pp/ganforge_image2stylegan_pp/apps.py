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

Each takes its section of the `Settings` (``configs/*.yaml``): the schedule, the lambdas
and the VGG input.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

import ganforge
from ganforge.capabilities import StyleLatentGenerator
from ganforge.metrics.images import to_uint8
from ganforge.metrics.pixel import psnr_per_image, ssim_per_image

from .activations import record_activations, spatial_blend
from .embed import WHO, Embedding, embed
from .losses import PerceptualLoss, PerceptualParams, StyleLoss, StyleParams
from .masks import blur
from .objective import Objective, Target
from .settings import Application, Crossover, FeatureTransfer, StyleTransfer


def load_generator(checkpoint: str | os.PathLike) -> StyleLatentGenerator:
    """The generator (its EMA copy when kept) of a ganforge run folder or checkpoint
    (`ganforge.applications.open_app`), refused unless it has the `StyleLatentGenerator`
    capability; frozen, as only the latents are optimised."""
    from ganforge.applications import open_app

    G = open_app(checkpoint, WHO, "Image2StyleGAN++ needs a generator with the StyleLatentGenerator capability "
                 "(mapping, synthesis, noise inputs, named activations: ganforge.capabilities), e.g. "
                 "models.generator: stylegan2", generator=StyleLatentGenerator).generator
    return G.requires_grad_(False)


def perceptual_loss(s: Application) -> PerceptualLoss:
    v = s.vgg
    return PerceptualLoss(PerceptualParams(layers=v.layers, weights=v.weights, max_side=v.max_side), ganforge.DataInfo())


def style_loss(s: StyleTransfer) -> StyleLoss:
    v = s.vgg
    return StyleLoss(StyleParams(layer=s.style_layer, weights=v.weights, max_side=v.max_side), ganforge.DataInfo())


def objective(targets: list[Target], s: Application, style: StyleLoss | None = None) -> Objective:
    """Eq. 1 over ``targets``; the VGG-16 is built only when a target has a perceptual weight."""
    perceptual = perceptual_loss(s) if any(t.perceptual for t in targets) else None
    return Objective(targets, perceptual, style, noise_perceptual=s.noise_perceptual)


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


def reconstruct(G: StyleLatentGenerator, image: torch.Tensor, s: Application) -> Reconstruction:
    """W+ then noise; scores after the first W+ stage and at the end (Table 1's comparison)."""
    emb = embed(G, objective([Target(image, mse=s.mse, perceptual=s.perceptual)], s), s.schedule, seed=s.seed)
    w_stage = next((st for st in emb.snapshots if st[0] == "w"), None)
    w_only = emb.render(G, w_stage[1], w_stage[2]) if w_stage else emb.render(G)
    full = emb.render(G)
    return Reconstruction(w_only, full, {"W+": pixel_scores(w_only, image),
                                         "W+ then noise": pixel_scores(full, image)}, emb)


def crossover(G: StyleLatentGenerator, x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor,
              s: Crossover) -> torch.Tensor:
    """x where the mask (blurred into M_blur) is 1, y where it is 0, as one embedded image."""
    m = blur(mask, s.blur)
    targets = [Target(x, m, s.mse, s.perceptual), Target(y, 1 - m, s.mse_y, s.perceptual_y)]
    return embed(G, objective(targets, s), s.schedule, seed=s.seed).render(G)


def inpaint(G: StyleLatentGenerator, image: torch.Tensor, hole: torch.Tensor, s: Application) -> torch.Tensor:
    """The embedding of ``image`` outside ``hole`` (1 = missing); the hole is the generator's."""
    targets = [Target(image, 1 - hole, s.mse, s.perceptual)]
    return embed(G, objective(targets, s), s.schedule, seed=s.seed).render(G)


def local_edit(G: StyleLatentGenerator, scribbled: torch.Tensor, region: torch.Tensor,
               s: Application) -> torch.Tensor:
    """W+ only on the scribbled image (the scribbles are a guide the latent space turns into
    plausible content; the noise would copy them pixel for pixel), then the noise stage
    fits the image outside ``region`` (the scribbled area, 1 inside) for its detail."""
    w_only = s.schedule.model_copy(update={"noise_steps": 0, "rounds": 1})
    emb = embed(G, objective([Target(scribbled, mse=s.mse, perceptual=s.perceptual)], s), w_only, seed=s.seed)
    noise_only = s.schedule.model_copy(update={"w_steps": 0, "rounds": 1})
    outside = objective([Target(scribbled, 1 - region, s.mse, perceptual=0.0)], s)
    return embed(G, outside, noise_only, ws=emb.ws, noise=emb.noise).render(G)


def local_style_transfer(G: StyleLatentGenerator, content: torch.Tensor, style_image: torch.Tensor,
                         region: torch.Tensor, s: StyleTransfer) -> torch.Tensor:
    """``content`` outside ``region``; inside, the Gram statistics of ``style_image``'s region."""
    targets = [Target(content, 1 - region, s.mse, s.perceptual),
               Target(style_image, region, mse=0.0, perceptual=0.0, style=s.style)]
    return embed(G, objective(targets, s, style_loss(s) if s.style else None), s.schedule, seed=s.seed).render(G)


def feature_transfer(G: StyleLatentGenerator, x: torch.Tensor, y: torch.Tensor, region: torch.Tensor,
                     s: FeatureTransfer) -> tuple[torch.Tensor, torch.Tensor]:
    """Embed x and y together, then render x with y's activations of ``s.layers`` (default:
    the first, coarse-to-middle half of ``activation_names()``) inside ``region``:
    (the edited image, the two reconstructions)."""
    names = G.activation_names()
    layers = list(s.layers) if s.layers else names[: max(1, len(names) // 2)]
    targets = [Target(torch.cat([x, y]), mse=s.mse, perceptual=s.perceptual)]
    emb = embed(G, objective(targets, s), s.schedule, seed=s.seed)
    source = record_activations(G, emb.ws[1:], [n[1:] for n in emb.noise], layers)
    edited = emb.render(G, emb.ws[:1], [n[:1] for n in emb.noise], edit=spatial_blend(source, region))
    return edited, emb.render(G)

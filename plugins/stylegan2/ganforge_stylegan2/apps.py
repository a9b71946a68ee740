"""The paper's applications on a trained or imported generator: uncurated samples from
seeds with the truncation trick (Fig. 1, appendix figures at psi = 0.5 / 0.7 / 1), and the
style-mixing grid (StyleGAN Fig. 3, appendix of StyleGAN2): coarse layers from the row
sources, the rest from the column sources."""

from __future__ import annotations

import os
from typing import Sequence

import torch

import ganforge

from .generator import StyleGAN2Generator, style_mix


def load_generator(path: str | os.PathLike) -> StyleGAN2Generator:
    """The averaged generator (G_ema when the checkpoint has one) of a ganforge run
    folder (its latest checkpoint) or a ganforge checkpoint (e.g. from `ganforge import`),
    through `ganforge.applications.open_app`."""
    from ganforge.applications import open_app

    return open_app(path, "stylegan2", "StyleGAN2's applications need a StyleGAN2 generator "
                    "(models.generator: stylegan2)", generator=StyleGAN2Generator).generator


def seed_latents(seeds: Sequence[int], z_dim: int) -> torch.Tensor:
    """One z per seed, the same z for a seed whatever the other seeds (as the official tools)."""
    return torch.stack([torch.randn(z_dim, generator=torch.Generator().manual_seed(s)) for s in seeds])


def noise_inputs(G: StyleGAN2Generator, noise: str | None, batch: int, noise_seed: int) -> list[torch.Tensor]:
    """The noise maps of one generation: ``fixed``, the generator's own (rosinality's
    ``randomize_noise=False``; a checkpoint imported with ``noise: fixed``), ``random``,
    drawn from ``noise_seed``; None: fixed when the generator holds maps, else random."""
    noise = noise or ("fixed" if G.synthesis_network.fixed_noise else "random")
    if noise == "fixed":
        if not G.synthesis_network.fixed_noise:
            raise ganforge.ConfigError("--noise fixed: this generator holds no fixed noise maps; import the release "
                                       "with --set models.generator.noise=fixed")
        return [n.expand(batch, -1, -1, -1) for n in G.synthesis_network.noise_maps()]
    gen = torch.Generator().manual_seed(noise_seed)
    return [torch.randn(batch, *s, generator=gen) for s in G.noise_shapes()]


@torch.no_grad()
def generate(G: StyleGAN2Generator, seeds: Sequence[int], truncation_psi: float,
             noise_seed: int = 0, noise: str | None = None) -> torch.Tensor:
    """Images of the seeds' latents, truncated by psi, in [-1, 1]; ``noise``: see `noise_inputs`."""
    w = G.mapping(seed_latents(seeds, G.z_dim), truncation_psi)
    maps = noise_inputs(G, noise, len(seeds), noise_seed)
    return G.synthesis(w[:, None].expand(-1, G.num_ws, -1), maps).clamp(-1, 1)


@torch.no_grad()
def style_mix_grid(G: StyleGAN2Generator, row_seeds: Sequence[int], col_seeds: Sequence[int], cutoff: int,
                   truncation_psi: float, noise_seed: int = 0, noise: str | None = None) -> torch.Tensor:
    """A (1 + rows) x (1 + cols) grid: the first row the column sources, the first column the
    row sources, cell (i, j) the row source's w for layers < cutoff and the column source's
    for the rest (the same noise everywhere; ``noise``: see `noise_inputs`)."""
    if not 0 < cutoff < G.num_ws:
        raise ganforge.ConfigError(f"--cutoff {cutoff}: must lie in [1, {G.num_ws - 1}] ({G.num_ws} style inputs)")
    noise = noise_inputs(G, noise, 1, noise_seed)
    w_rows = G.mapping(seed_latents(row_seeds, G.z_dim), truncation_psi)[:, None].expand(-1, G.num_ws, -1)
    w_cols = G.mapping(seed_latents(col_seeds, G.z_dim), truncation_psi)[:, None].expand(-1, G.num_ws, -1)

    def render(ws: torch.Tensor) -> torch.Tensor:
        return G.synthesis(ws, [n.expand(ws.shape[0], -1, -1, -1) for n in noise]).clamp(-1, 1)

    blank = torch.ones(1, G.data.image_channels, *G.data.resolution)
    rows = [torch.cat([blank, render(w_cols)])]
    for w in w_rows:
        mixed = style_mix(w[None].expand(len(col_seeds), -1, -1), w_cols, cutoff)
        rows.append(torch.cat([render(w[None]), render(mixed)]))
    return torch.cat(rows)



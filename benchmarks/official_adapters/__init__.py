"""Adapters of ``benchmarks/vs_official.py`` for more papers, one module each.

Each module gives ``setup(workdir, vgg)`` (the official networks with seeded weights ->
state files in ``workdir``) and ``side(side, workdir, vgg, overrides)`` -> ``(step,
forward)``: one full training iteration of that side, and a no-grad forward of its
networks on fixed probe inputs (a dict of tensors), compared between the sides before
any step and after one training iteration on the benchmark batch.
"""

from __future__ import annotations

from . import nice_gan, stargan_v2

PAPERS = {"stargan_v2": (stargan_v2.setup, stargan_v2.side), "nice_gan": (nice_gan.setup, nice_gan.side)}

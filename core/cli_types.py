"""Click parameter types shared by the core's and the plugins' commands.

One definition, so that every ``--seed`` refuses the same values: torch seeds are 64-bit,
and a value Python accepts but torch cannot hold would otherwise surface as a traceback
deep inside ``torch.manual_seed``.
"""

from __future__ import annotations

import click

SEED_LIMIT = 2**63 - 1
SEED = click.IntRange(0, SEED_LIMIT)


class SeedList(click.ParamType):
    """``0,3,10-15`` -> ``[0, 3, 10, 11, 12, 13, 14, 15]`` (the official tools' syntax)."""

    name = "seeds"

    def convert(self, value, param, ctx) -> list[int]:
        if isinstance(value, list):
            return value
        seeds: list[int] = []
        for part in str(value).split(","):
            lo, sep, hi = part.strip().partition("-")
            if not lo.isdigit() or (sep and not hi.isdigit()):
                self.fail(f"{value!r}: expected seeds and ranges like 0,3,10-15", param, ctx)
            first, last = int(lo), int(hi) if sep else int(lo)
            if last > SEED_LIMIT:
                self.fail(f"{value!r}: seeds go up to {SEED_LIMIT}", param, ctx)
            if last < first:
                self.fail(f"{value!r}: range {part.strip()} runs backwards", param, ctx)
            seeds.extend(range(first, last + 1))
        return seeds


SEEDS = SeedList()

"""The one conditioning path (`ganforge.conditioning.condition`): batch fields, then the
conditioners in route order on their source image, then the recipe's overrides."""

from __future__ import annotations

from typing import ClassVar

import pytest
import torch

import ganforge
from ganforge.conditioning import condition


class Recorder(ganforge.Encoder):
    """Provides ``field`` = mean of the image it is given (+ ``offset``); records the
    images and conditions it saw."""

    provides: ClassVar = frozenset({"style"})

    def __init__(self, offset: float = 0.0):
        super().__init__(ganforge.NoParams(), ganforge.DataInfo())
        self.offset, self.seen = offset, []

    def forward(self, image, cond):
        self.seen.append((image, cond))
        base = image.mean((1, 2, 3))[:, None] if image is not None else cond["z"]
        return {"style": base + self.offset, "extra": base * 0}


def test_conditioners_read_their_source_and_add_what_they_provide():
    real, ref = torch.zeros(2, 3, 4, 4), torch.ones(2, 3, 4, 4)
    enc = Recorder()
    cond = ganforge.Condition(domain=torch.tensor([0, 1]))
    out, outputs = condition({"enc": enc}, {"enc": "reference"}, cond, image=real, reference=ref)
    assert torch.equal(out["style"], torch.ones(2, 1)) and set(outputs["enc"]) == {"style", "extra"}
    # without a reference image the 'reference' route reads the real image
    out, _ = condition({"enc": enc}, {"enc": "reference"}, cond, image=real)
    assert torch.equal(out["style"], torch.zeros(2, 1))
    # 'none' reads the condition only; a field name reads that field
    out, _ = condition({"enc": enc}, {"enc": "none"}, cond.replace(z=torch.full((2, 1), 5.0)))
    assert torch.equal(out["style"], torch.full((2, 1), 5.0))
    out, _ = condition({"enc": enc}, {"enc": "exemplar"}, cond.replace(exemplar=ref * 3))
    assert torch.equal(out["style"], torch.full((2, 1), 3.0))


def test_overrides_win_reach_the_conditioners_and_skip_fully_overridden_ones():
    real = torch.zeros(2, 3, 4, 4)
    enc = Recorder()
    cond = ganforge.Condition(domain=torch.tensor([0, 1]))
    target = torch.tensor([1, 0])
    out, outputs = condition({"enc": enc}, {"enc": "real"}, cond, image=real, domain=target)
    assert torch.equal(enc.seen[-1][1]["domain"], target) and torch.equal(out["domain"], target)
    enc.seen.clear()
    style = torch.full((2, 1), 7.0)
    out, outputs = condition({"enc": enc}, {"enc": "real"}, cond, image=real, style=style)
    assert not enc.seen and not outputs and torch.equal(out["style"], style)


def test_later_conditioners_see_earlier_ones_and_no_image_skips_image_readers():
    first, second = Recorder(1.0), Recorder(2.0)

    class Reader(Recorder):
        provides: ClassVar = frozenset({"region_style"})

        def forward(self, image, cond):
            self.seen.append((image, cond))
            return {"region_style": cond["style"][:, None] * 10}

    third = Reader()
    real = torch.zeros(2, 3, 4, 4)
    routes = {"a": "real", "c": "none"}
    out, _ = condition({"a": first, "c": third}, routes, ganforge.Condition(), image=real)
    assert torch.equal(out["region_style"], torch.full((2, 1, 1), 10.0))
    # no image (ganforge sample --labels): the image reader is skipped, the others run
    out, outputs = condition({"a": first, "b": second}, {"a": "real", "b": "none"},
                             ganforge.Condition(z=torch.zeros(2, 1)))
    assert set(outputs) == {"b"} and torch.equal(out["style"], torch.full((2, 1), 2.0))

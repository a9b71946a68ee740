"""The enhancement scheme: shifted sub-images, their realignment, the 4x output."""

from __future__ import annotations

import torch

import ganforge
from ganforge_hidt.enhancement import SHIFTS, enhance, realign, shifted_subimages


def test_sixteen_shifts_in_official_order():
    assert len(SHIFTS) == 16 and SHIFTS[:5] == ((0, 0), (0, 1), (0, 2), (0, 3), (1, 0))


def test_subimages_are_shifted_downsamplings():
    """On a horizontal ramp, shifting right by dx moves the sub-image's values by dx
    pixels of the (4 S + 4) image; vertical shifts leave a horizontal ramp unchanged
    except near the black rows they uncover (the antialiasing kernel spans 2 output pixels)."""
    s = 8
    ramp = torch.linspace(-1, 1, 36).view(1, 1, 1, 36).expand(1, 3, 36, 36)
    subs = shifted_subimages(ramp, s)
    assert subs.shape == (16, 3, s, s)
    step = 2 / 35
    base, right = subs[SHIFTS.index((0, 0))], subs[SHIFTS.index((1, 0))]
    torch.testing.assert_close(right[..., :, 1:-2], base[..., :, 1:-2] + step, atol=1e-4, rtol=0)
    down = subs[SHIFTS.index((0, 3))]
    torch.testing.assert_close(down[..., :-2, :], base[..., :-2, :], atol=1e-4, rtol=0)
    assert (down[..., -1, :] < base[..., -1, :]).all()  # the uncovered bottom row is darker


def test_realign_places_each_translation_at_its_shift():
    s = 8
    translated = torch.zeros(16, 3, s, s)
    translated[SHIFTS.index((3, 0))] = 1.0  # one white sub-image
    stacked = realign(translated)
    assert stacked.shape == (1, 48, s, s)
    planes = stacked.view(16, 3, s, s)
    assert planes[[i for i in range(16) if i != SHIFTS.index((3, 0))]].abs().max() <= 1
    white = planes[SHIFTS.index((3, 0))]
    # shifted 3 px right on the 36 px canvas: the first column samples the black border
    assert (white[..., :, 0] == -1).all() and (white[..., :, 1:] == 1).all()


def test_enhance_gives_4x_output():
    data = ganforge.DataInfo(fields=frozenset({"subimages"}), resolution=(32, 32))
    torch.manual_seed(0)
    g_enh = ganforge.build("generator", {"type": "hidt_enhancer", "nf": 8, "nb": 1, "gc": 4}, data)
    image = torch.rand(2, 3, 40, 40) * 2 - 1
    calls = []

    def translate(x):
        calls.append(x.shape)
        return -x

    out = enhance(translate, image, g_enh, 8)
    assert calls == [(32, 3, 8, 8)] and out.shape == (2, 3, 32, 32) and out.abs().max() <= 1

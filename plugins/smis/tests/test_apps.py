"""The applications: which codes change, exactly, and what the generator is given."""

import pytest
import torch
from torch import nn

import ganforge
from ganforge import Condition
from ganforge_smis import apps


class CodeEcho(nn.Module):
    """A stand-in generator whose 'image' is its codes, so a test sees what it was given."""

    num_classes, code_dim = 4, 3

    def sample_codes(self, batch, generator=None):
        return torch.randn(batch, self.num_classes, self.code_dim, generator=generator)

    def forward(self, cond):
        return cond["region_style"].clone()


def test_swap_and_interpolate_touch_only_the_chosen_classes():
    a, b = torch.zeros(2, 4, 3), torch.ones(2, 4, 3)
    swapped = apps.swap_classes(a, b, [1, 3])
    assert swapped[:, [1, 3]].eq(1).all() and swapped[:, [0, 2]].eq(0).all()
    half = apps.interpolate_classes(a, b, [2], 0.25)
    assert half[:, 2].eq(0.25).all() and half[:, [0, 1, 3]].eq(0).all()
    assert apps.interpolate_classes(a, b, None, 1.0).eq(1).all()
    with pytest.raises(ganforge.ConfigError, match=r"ids in \[0, 4\), got \[4\]"):
        apps.swap_classes(a, b, [4])


def test_resampling_a_class_redraws_its_code_and_keeps_the_others():
    codes = torch.randn(2, 4, 3)
    cond = Condition(label=torch.zeros(2, 8, 8, dtype=torch.long))
    frames = apps.resample_class(CodeEcho(), cond, codes, 2, n=3, seed=5)
    assert frames.shape == (3, 2, 4, 3)
    assert torch.equal(frames[:, :, [0, 1, 3]], codes[:, [0, 1, 3]].expand(3, 2, 3, 3))
    assert not torch.allclose(frames[0, :, 2], frames[1, :, 2])
    assert torch.equal(frames, apps.resample_class(CodeEcho(), cond, codes, 2, n=3, seed=5))  # seeded


def test_morph_goes_from_one_image_to_the_other():
    a, b = torch.zeros(1, 4, 3), torch.ones(1, 4, 3)
    cond = Condition(label=torch.zeros(1, 8, 8, dtype=torch.long))
    frames = apps.morph(CodeEcho(), cond, a, b, [0], steps=3)
    assert frames[:, 0, 0, 0].tolist() == [0.0, 0.5, 1.0] and frames[:, 0, 1:].eq(0).all()


def test_manipulation_keeps_the_codes_and_changes_the_layout():
    label = torch.zeros(1, 4, 4, dtype=torch.long)
    label[:, :2] = 1
    cond = Condition(label=label)
    edited = apps.relabel(cond, cond["label"] == 1, 3)
    assert edited["label"][:, :2].eq(3).all() and edited["label"][:, 2:].eq(0).all()
    assert cond["label"][:, :2].eq(1).all()  # the original condition is untouched
    codes = torch.randn(1, 4, 3)
    before, after = apps.manipulate(CodeEcho(), cond, codes, edited)
    assert torch.equal(before, codes) and torch.equal(after, codes)


def test_semantic_diversity_groups_cover_the_classes_present(registry, data, tiny, make_condition):
    g = ganforge.build("generator", tiny["generator"], data).eval()
    label = torch.zeros(3, 32, 32, dtype=torch.long)
    label[0, :8] = 2
    label[2, 8:] = 3
    cond = Condition(label=label)
    groups = list(apps.semantic_diversity(g, cond, 4, n=2))
    assert len(groups) == 3  # classes 0, 2 and 3; class 1 is nowhere
    (f0, c0), (f2, c2), (f3, c3) = groups
    assert f0.shape == (3, 2, 3, 32, 32) and f2.shape == f3.shape == (1, 2, 3, 32, 32)
    torch.testing.assert_close(c2["mask"][:, 0], (label[:1] == 2).float())
    torch.testing.assert_close(c3["mask"][:, 0], (label[2:] == 3).float())
    assert not torch.allclose(f0[:, 0], f0[:, 1])  # the two draws differ

"""SEAN's applications: per-region style transfer and interpolation, reconstruction."""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge_sean import apps


@pytest.fixture
def nets(registry, data, tiny):
    torch.manual_seed(0)
    g = ganforge.build("generator", tiny["generator"], data).eval()
    e = ganforge.build("encoder", tiny["encoder"], data.model_copy(update={"fields": frozenset({"label"})})).eval()
    return g, e


def test_swap_replaces_exactly_the_chosen_rows():
    codes, ref = torch.randn(2, 5, 4), torch.randn(2, 5, 4)
    out = apps.swap_regions(codes, ref, [1, 3])
    assert torch.equal(out[:, [1, 3]], ref[:, [1, 3]])
    assert torch.equal(out[:, [0, 2, 4]], codes[:, [0, 2, 4]])
    one_ref = apps.swap_regions(codes, ref[:1], [2])  # one reference for the whole batch
    assert torch.equal(one_ref[:, 2], ref[0, 2].expand(2, 4))


def test_blend_interpolates_only_the_chosen_rows():
    codes, other = torch.randn(1, 3, 4), torch.randn(1, 3, 4)
    assert torch.equal(apps.blend_regions(codes, other, [0], 0.0), codes)
    half = apps.blend_regions(codes, other, [0], 0.5)
    torch.testing.assert_close(half[:, 0], (codes[:, 0] + other[:, 0]) / 2)
    assert torch.equal(half[:, 1:], codes[:, 1:])


def test_class_ids_are_checked():
    with pytest.raises(ganforge.ConfigError, match=r"classes must be ids in \[0, 3\), got \[3\]"):
        apps.swap_regions(torch.zeros(1, 3, 2), torch.zeros(1, 3, 2), [3])


def _pair(data, make_condition):
    cond = make_condition(data, batch=1, seed=4).replace(region_style=None)
    ref_cond = make_condition(data, batch=1, seed=9).replace(region_style=None)
    gen = torch.Generator().manual_seed(2)
    return (torch.rand(1, 3, 32, 32, generator=gen) * 2 - 1, cond,
            torch.rand(1, 3, 32, 32, generator=gen) * 2 - 1, ref_cond)


def test_style_transfer_changes_the_chosen_region_most(nets, data, make_condition):
    g, e = nets
    image, cond, ref, ref_cond = _pair(data, make_condition)
    k = int(ref_cond["label"][0, 0, 0])
    with torch.no_grad():
        torch.manual_seed(0)
        own = apps.synthesize(g, cond, apps.encode_styles(e, image, cond))
    torch.manual_seed(0)
    moved = apps.transfer_style(g, e, image, cond, ref, ref_cond, [k])
    diff = (moved - own).abs().mean(1)[0]
    inside = cond["label"][0] == k
    assert inside.any() and (~inside).any()
    assert diff[inside].mean() > 2 * diff[~inside].mean()


def test_style_transfer_from_a_reference_without_the_class_is_an_error(nets, data, make_condition):
    g, e = nets
    image, cond, ref, ref_cond = _pair(data, make_condition)
    absent = ref_cond.replace(label=torch.zeros_like(ref_cond["label"]))
    with pytest.raises(ganforge.DataError, match=r"reference label map has no pixels of classes \[2\]"):
        apps.transfer_style(g, e, image, cond, ref, absent, [0, 2])


def test_interpolation_runs_from_one_style_to_the_other(nets, data, make_condition):
    g, e = nets
    image, cond, other, other_cond = _pair(data, make_condition)
    torch.manual_seed(0)
    frames = apps.interpolate_style(g, e, image, cond, other, other_cond, steps=3)
    assert frames.shape == (3, 1, 3, 32, 32)
    with torch.no_grad():
        torch.manual_seed(0)  # frame 0 draws the first noise after the seed, as here
        start = apps.synthesize(g, cond, apps.encode_styles(e, image, cond))
    torch.testing.assert_close(frames[0], start)
    assert (frames[1] - frames[0]).abs().max() > 0 and (frames[2] - frames[1]).abs().max() > 0
    with pytest.raises(ganforge.ConfigError, match="steps >= 2"):
        apps.interpolate_style(g, e, image, cond, other, other_cond, steps=1)


def test_reconstruction_scores_match_a_direct_computation(nets, data, make_condition):
    g, e = nets
    image, cond, _, _ = _pair(data, make_condition)
    torch.manual_seed(0)
    fake, scores = apps.reconstruct(g, e, image, cond)
    assert set(scores) == {"psnr", "ssim", "rmse"}
    to8 = lambda t: ((t.clamp(-1, 1) + 1) * 127.5 + 0.5).floor().double()  # noqa: E731
    mse = ((to8(fake) - to8(image)) ** 2).mean()
    assert scores["rmse"] == pytest.approx(mse.sqrt().item(), rel=1e-9)
    assert scores["psnr"] == pytest.approx(10 * torch.log10(255.0 ** 2 / mse).item(), rel=1e-9)
    assert -1.0 <= scores["ssim"] <= 1.0

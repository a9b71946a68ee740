"""mCSD / mOCD: pairwise spatial LPIPS inside / outside the class whose code changed.
Random LPIPS networks (``weights: none``): no weights can be downloaded here."""

import pytest
import torch

import ganforge
from ganforge import Condition



@pytest.fixture
def unit_lin(tmp_path):
    """LPIPS lin layers of ones (the calibrated ones are non-negative too); the backbone is random."""
    path = tmp_path / "alex.pth"
    torch.save({f"lin{i}.model.1.weight": torch.ones(1, c, 1, 1) for i, c in enumerate((64, 192, 384, 256, 256))},
               path)
    return str(path)


@pytest.fixture
def metrics(registry, data, unit_lin):
    spec = {"backbone_weights": "none", "lin_weights": unit_lin}
    out = []
    for name in ("mcsd", "mocd"):
        torch.manual_seed(0)
        # the metrics read cond["mask"], which the apps add (a dataset has none): no requirement check
        out.append(ganforge.build("metric", {"type": name, **spec}, data, check=False))
    return out


def test_values_are_the_masked_means_of_the_lpips_map(metrics):
    mcsd, mocd = metrics
    torch.manual_seed(0)
    fake = torch.rand(1, 2, 3, 64, 64) * 2 - 1
    mask = torch.zeros(1, 1, 64, 64)
    mask[..., :32, :] = 1
    cond = Condition(mask=mask)
    for m in (mcsd, mocd):
        m.update(fake, cond=cond)
    d = mcsd.lpips(fake[:, 0], fake[:, 1], spatial=True)
    assert mcsd.compute()["mcsd"] == pytest.approx(float(d[..., :32, :].mean()), rel=1e-5)
    assert mocd.compute()["mocd"] == pytest.approx(float(d[..., 32:, :].mean()), rel=1e-5)


def test_a_change_confined_to_the_class_scores_high_inside_and_low_outside(metrics):
    mcsd, mocd = metrics
    torch.manual_seed(1)
    base = torch.rand(2, 3, 64, 64) * 2 - 1
    mask = torch.zeros(2, 1, 64, 64)
    mask[:, :, 8:40, 8:40] = 1
    outputs = [base, torch.where(mask > 0, torch.rand_like(base) * 2 - 1, base),
               torch.where(mask > 0, torch.rand_like(base) * 2 - 1, base)]
    fake = torch.stack(outputs, 1)  # (B=2, N=3, C, H, W)
    for m in (mcsd, mocd):
        m.update(fake, cond=Condition(mask=mask))
    inside, outside = mcsd.compute()["mcsd"], mocd.compute()["mocd"]
    assert inside > 3 * outside > 0  # the LPIPS map spreads a little past the region's edge


def test_identical_outputs_have_no_diversity(metrics):
    mcsd, mocd = metrics
    same = (torch.rand(1, 3, 32, 32) * 2 - 1).expand(4, 3, 32, 32)  # a 4-D batch: one group of N = 4
    mask = torch.zeros(4, 1, 32, 32)
    mask[0, :, :16] = 1
    for m in (mcsd, mocd):
        m.update(same, cond=Condition(mask=mask))
    assert mcsd.compute() == {"mcsd": 0.0} and mocd.compute() == {"mocd": 0.0}


def test_inputs_it_cannot_score_are_refused_clearly(metrics):
    mcsd, mocd = metrics
    with pytest.raises(ValueError, match=r"'mcsd' needs fake \(B, N >= 2, C, H, W\)"):
        mcsd.update(torch.rand(2, 1, 3, 32, 32), cond=Condition(mask=torch.ones(2, 1, 32, 32)))
    with pytest.raises(ValueError, match="cond\\['mask'\\]"):
        mcsd.update(torch.rand(2, 2, 3, 32, 32))
    mocd.update(torch.rand(1, 2, 3, 32, 32), cond=Condition(mask=torch.ones(1, 1, 32, 32)))
    with pytest.raises(ValueError, match="'mocd': no group with a non-empty region"):
        mocd.compute()  # the class covered everything: no other classes to score

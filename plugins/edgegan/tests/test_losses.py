"""The recipe's objectives against closed forms."""

import torch
import torch.nn.functional as F

from ganforge import DiscriminatorOutput
from ganforge_edgegan.strategy import focal_cross_entropy, wgan_gp


def test_wgan_gp_of_a_linear_critic():
    """D(x) = <w, x>: the Wasserstein term is <w, mean(fake) - mean(real)> and the gradient
    norm is |w| everywhere, so the penalty is lambda (|w| - 1)^2 exactly."""
    w = torch.full((1, 2, 2, 2), 0.5)  # |w| = sqrt(8) / 2

    def critic(x):
        return DiscriminatorOutput(scores=[(x * w).flatten(1).sum(1, keepdim=True)])

    real, fake = torch.randn(4, 2, 2, 2), torch.randn(4, 2, 2, 2)
    wdist, gp = wgan_gp(critic, real, fake, 10.0)
    expected = ((fake - real) * w).flatten(1).sum(1).mean()
    assert torch.allclose(wdist, expected, atol=1e-6)
    assert torch.allclose(gp, torch.tensor(10.0 * (8 ** 0.5 / 2 - 1) ** 2), atol=1e-5)


def test_focal_cross_entropy():
    logits, target = torch.tensor([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]]), torch.tensor([0, 2])
    p = logits.softmax(1)[torch.arange(2), target]
    expected = ((1 - p) ** 2 * -p.log()).mean()
    assert torch.allclose(focal_cross_entropy(logits, target, 2.0), expected)
    assert torch.allclose(focal_cross_entropy(logits, target, 0.0), F.cross_entropy(logits, target))

import pytest
import torch

import ganforge
from ganforge import Condition, ConditionMismatch, DataInfo


def test_two_labels_pick_the_head_of_each_sample(c3d):
    data = DataInfo(fields=frozenset({"domain"}), num_domains=2, resolution=(16, 16))
    D = ganforge.build("discriminator", {"type": "sngan_resnet", "width": 8, "num_labels": 2}, data).eval()
    x = torch.randn(3, 3, 16, 16)
    both = [D(x, Condition(domain=torch.full((3,), k))).scores[0] for k in (0, 1)]
    mixed = D(x, Condition(domain=torch.tensor([0, 1, 0]))).scores[0]
    assert both[0].shape == (3, 1) and not torch.allclose(both[0], both[1])
    assert torch.equal(mixed[:, 0], torch.stack([both[0][0, 0], both[1][1, 0], both[0][2, 0]]))
    with pytest.raises(ValueError, match=r"cond\['domain'\] must be \(B,\) labels in \[0, 2\)"):
        D(x, Condition(domain=torch.tensor([0, 2, 0])))


def test_two_labels_need_the_domain_field(c3d):
    with pytest.raises(ConditionMismatch, match="discriminator 'sngan_resnet' needs condition field 'domain'"):
        ganforge.build("discriminator", {"type": "sngan_resnet", "num_labels": 2}, DataInfo(resolution=(16, 16)))

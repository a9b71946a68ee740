"""Three training steps from official weights give the official trainer's losses and weights.

``data/train_parity.json`` holds what alpc91/NICE-GAN-pytorch's own ``NICE.train()`` loop
computed (train mode, Adam with weight decay, its D step then its G step, one fixed batch
of two trainA and two trainB images, 64 px, ch 8, n_res 2, n_dis 6, light), from weights
that are a function of the official key list and the seed alone
(`ganforge.testing.parity.seeded_state`). Regenerate it with the command it records.
ganforge must match within fp32 noise: the spectral norms' power iterations (four per
discriminator per step, reals before fakes) decide sigma, and seeded vectors are far from
converged, so another call order is off by percents (0.34 relative on ``d_fake_b`` at step
1 before the order was fixed).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import ganforge_nice_gan.plugin
from ganforge.testing.parity import checksum, seeded_batch, seeded_state, train_from_official
from ganforge_nice_gan.convert import ROLES, to_official

FIXTURE = json.loads((Path(__file__).parent / "data" / "train_parity.json").read_text())


@pytest.fixture(autouse=True)
def _isolated(isolated_registry):
    isolated_registry(("nice_gan", ganforge_nice_gan.plugin))


def test_training_steps_from_official_weights_match_the_official_trainer(tmp_path):
    state = seeded_state(FIXTURE["layout"], FIXTURE["seed"])
    batch = seeded_batch(FIXTURE["batch"], FIXTURE["batch_seed"])
    n = batch["A"].shape[0]
    ours = {"image": torch.cat([batch["A"], batch["B"]]), "domain": torch.tensor([0] * n + [1] * n)}
    logs, states = train_from_official(FIXTURE["config"], "nice_gan", {"params_0000000.pt": state}, ours,
                                       FIXTURE["steps"], tmp_path, lambda role, net: to_official(net))
    for step, (want, got) in enumerate(zip(FIXTURE["losses"], logs), 1):
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=1e-5), f"step {step}: {key}"
        for entry, role in ROLES.items():
            sums = checksum(states[step - 1][role], state[entry], FIXTURE["seed"])
            official = FIXTURE["checksums"][step - 1][entry]
            assert sums["sum_abs_change"] == pytest.approx(official["sum_abs_change"], rel=1e-5), (step, entry)
            assert abs(sums["projection"] - official["projection"]) <= 1e-5 * official["sum_abs_change"], (step, entry)

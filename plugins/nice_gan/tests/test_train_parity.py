"""Three training steps from official weights give the official trainer's losses and weights.

``data/train_parity.json`` holds what alpc91/NICE-GAN-pytorch's own ``NICE.train()`` loop
computed (train mode, Adam with weight decay, its D step then its G step, one fixed batch
of two trainA and two trainB images, 64 px, ch 8, n_res 2, n_dis 6, light), from weights
that are a function of the official key list and the seed alone
(`ganforge.testing.parity.seeded_state`); regenerate it with the command it records.
ganforge must match within fp32 noise. The discriminators' call order matters: each call
advances their spectral norms' power iteration, seeded vectors are far from converged,
and before the recipe called them in the official order (four iterations per step, reals
before fakes) ``d_fake_b`` was 34% off at step 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import ganforge_nice_gan.plugin
from ganforge.testing.parity import mismatches, seeded_batch, seeded_state, train_from_official
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
    steps, official = FIXTURE["steps"], FIXTURE["runs"]["fp32"]
    logs, states = train_from_official(official["config"], "nice_gan", {"params_0000000.pt": state}, ours, steps,
                                       tmp_path, lambda role, net: to_official(net))
    assert not mismatches(official, logs, states, state, ROLES, FIXTURE["seed"], steps, rel=1e-5)

"""Training steps from official weights give NVlabs/SPADE's trainer's losses and weights.

``data/train_parity.json`` holds what the official ``Pix2PixTrainer`` computed, stepped as
its ``train.py`` steps it (G, then D; Adam (0, 0.9), TTUR; hinge, feature matching, VGG
with seeded weights), from weights that are a function of the official key list and the
seed alone (`ganforge.testing.parity.seeded_state`), on one fixed batch of two 64 px
label maps and images (ngf = ndf = 8); regenerate it with the command it records.

In float64 (both sides, without the VGG loss) ganforge follows the official trainer for
three steps to ~1e-7.
In float32 only the first step is compared: SPADE's convolutions before a normalisation
have biases whose gradient is zero up to rounding (the norm removes the mean), and a few
other weights get gradients at rounding level; Adam's first step is lr * g / (|g| + 1e-8),
so rounding decides the sign of a full lr step there. The official trainer in float32
and in float64 differ by as much as ganforge and the official trainer do (see the README).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ganforge.testing.parity import in_float64, mismatches, seeded_batch, seeded_state, train_from_official
from ganforge_spade.convert import to_official

FIXTURE = json.loads((Path(__file__).parent / "data" / "train_parity.json").read_text())
ROLES = {"G": "generator", "D": "discriminator"}


@pytest.fixture(autouse=True)
def _spade_only(spade):
    """The core and this plugin only."""


def files(state: dict) -> dict:
    """The official G and D files, and the VGG19 (when the run has it) in torchvision's
    layout for the loss's ``path`` (SPADE's ``VGG19.sliceK.i`` is torchvision's ``features.i``)."""
    out = {"latest_net_G.pth": state["G"], "latest_net_D.pth": state["D"]}
    if "vgg" in state:
        out["vgg19.pth"] = {"features." + k.split(".", 1)[1]: v for k, v in state["vgg"].items()}
    return out


def train(tmp_path: Path, run: dict, steps: int, double: bool):
    state = seeded_state(FIXTURE["layout"], FIXTURE["seed"])  # entries in order: G, D, then the VGG
    state = {entry: state[entry] for entry in run["entries"]}
    batch = seeded_batch(FIXTURE["batch"], FIXTURE["batch_seed"])
    config = json.loads(json.dumps(run["config"]))
    if config["strategy"]["vgg"]:
        config["strategy"]["vgg"]["path"] = str(tmp_path / "vgg19.pth")

    if double:
        batch["image"] = batch["image"].double()
    logs, states = train_from_official(config, "spade", files(state), batch, steps, tmp_path,
                                       lambda role, net: to_official(net),
                                       imports=["latest_net_G.pth", "latest_net_D.pth"],
                                       prepare=in_float64 if double else None)
    return logs, states, state


def test_three_steps_in_float64_follow_the_official_trainer(tmp_path):
    """Without the VGG loss (a VGG19 in float64 is slow; its term is checked in float32)."""
    steps, official = FIXTURE["steps"], FIXTURE["runs"]["fp64"]
    logs, states, state = train(tmp_path, official, steps, double=True)
    assert not mismatches(official, logs, states, state, ROLES, FIXTURE["seed"], steps, rel=1e-6)


def test_the_first_step_in_float32_gives_the_official_losses(tmp_path):
    """With the VGG loss (seeded VGG19 weights on both sides)."""
    official = FIXTURE["runs"]["fp32"]
    logs, _, _ = train(tmp_path, official, 1, double=False)
    assert "g_vgg" in official["losses"][0] and logs[0].keys() >= official["losses"][0].keys()
    for key, value in official["losses"][0].items():
        assert logs[0][key] == pytest.approx(value, rel=1e-5), key

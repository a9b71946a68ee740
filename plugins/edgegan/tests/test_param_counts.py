"""Our networks at the paper's settings have the parameter counts of the official code:
the SketchyCOCO configs' networks against the TF code (foreground, 64 px) and pix2pix
(background, 256 px)."""

from pathlib import Path

import torch

import ganforge
from ganforge.config import load_config, recipe_networks, verify

CONFIGS = Path(__file__).parents[1] / "configs"


def networks(name: str) -> dict[str, torch.nn.Module]:
    """The config's networks, built on the meta device (no memory, no initialisation cost)."""
    exp = load_config(CONFIGS / f"{name}.yaml")
    info, kinds = verify(exp), recipe_networks(exp)[0]
    with torch.device("meta"):
        return {role: ganforge.build(kinds[role], spec, info) for role, spec in exp.models.items()}


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_foreground_networks_match_the_tf_code(edgegan, official):
    nets = networks("sketchycoco")
    g = nets["generator"]
    assert (count(g.edge_generator), count(g.image_generator)) == (official["G1"], official["G2"])
    assert {role: count(net) for role, net in nets.items()} == {
        "generator": official["G1"] + official["G2"], "encoder": official["E"],
        "joint_discriminator": official["D"], "image_discriminator": official["D_patch2"],
        "edge_discriminator": official["D_patch3"], "classifier": official["D2"]}


def test_background_networks_match_pix2pix(edgegan, pix2pix):
    got = {role: count(net) for role, net in networks("sketchycoco_background").items()}
    assert got == {"generator": pix2pix["unet_256"], "discriminator": pix2pix["basic"]}
    assert round(got["generator"] / 1e6, 3) == 54.414 and round(got["discriminator"] / 1e6, 3) == 2.769

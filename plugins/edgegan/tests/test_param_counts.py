"""Our networks at the paper's 64 px foreground setting and pix2pix's 256 px background
have the parameter counts of the official code."""

import torch

import ganforge
from ganforge import DataInfo


def count(kind, spec, data):
    with torch.device("meta"):
        return sum(p.numel() for p in ganforge.build(kind, spec, data).parameters())


def test_foreground_networks_match_the_tf_code(edgegan, objects, official):
    g = ganforge.build("generator", {"type": "edgegan"}, objects.model_copy(update={"fields": frozenset({"z", "class_label"})}))
    assert sum(p.numel() for p in g.edge_generator.parameters()) == official["G1"]
    assert sum(p.numel() for p in g.image_generator.parameters()) == official["G2"]
    assert count("discriminator", {"type": "edgegan_critic", "size": [64, 128]}, objects) == official["D"]
    assert count("discriminator", {"type": "edgegan_critic"}, objects) == official["D_patch2"] == official["D_patch3"]
    assert count("discriminator", {"type": "edgegan_classifier"}, objects) == official["D2"]
    assert count("encoder", {"type": "edgegan_edge", "field": "edge"}, objects) == official["E"]


def test_background_networks_match_pix2pix(edgegan, pix2pix):
    data = DataInfo(fields=frozenset({"scene_sketch"}), resolution=(256, 256))
    g = count("generator", {"type": "edgegan_background"}, data)
    assert g == pix2pix["unet_256"] and round(g / 1e6, 3) == 54.414
    # pix2pix's D sees input + output: 3 + 3 channels
    assert count("discriminator", {"type": "edgegan_patch"}, data) == pix2pix["basic"]

"""Parameter counts at the paper's settings equal the official implementation's.

Official numbers, read off clovaai/stargan-v2 (core/model.py) by instantiating its
networks: AFHQ (3 domains, w_hpf 0) and CelebA-HQ (2 domains, w_hpf 1), 256x256,
style_dim 64, latent_dim 16. The official CelebA-HQ generator also holds 172,032
parameters in 1x1 shortcut convs of its decoder that its forward never uses (with
w_hpf > 0 the decoder blocks drop the shortcut); ours does not build them.
"""

from __future__ import annotations

import pytest
import torch

import ganforge

OFFICIAL = {
    "afhq": {"generator": 33_892_995, "mapping": 3_259_072, "style_encoder": 20_949_760,
             "discriminator": 20_852_803},
    "celeba_hq": {"generator": 43_467_395, "mapping": 2_438_272, "style_encoder": 20_916_928,
                  "discriminator": 20_852_290},
}
UNUSED_OFFICIAL_SHORTCUTS = {"afhq": 0, "celeba_hq": 172_032}
SETTINGS = {"afhq": (3, 0.0), "celeba_hq": (2, 1.0)}


@pytest.mark.parametrize("dataset", ["afhq", "celeba_hq"])
def test_counts_equal_the_official_ones(dataset):
    domains, w_hpf = SETTINGS[dataset]
    data = ganforge.DataInfo(fields=frozenset({"domain", "face_mask"}), num_domains=domains, resolution=(256, 256))
    with torch.device("meta"):  # shapes only: no memory, no initialisation time
        nets = {"generator": ganforge.build("generator", {"type": "stargan_v2", "w_hpf": w_hpf}, data, check=False),
                "mapping": ganforge.build("encoder", "stargan_v2_mapping", data, check=False),
                "style_encoder": ganforge.build("encoder", "stargan_v2_style", data, check=False),
                "discriminator": ganforge.build("discriminator", "stargan_v2", data, check=False)}
    counts = {role: sum(p.numel() for p in net.parameters()) for role, net in nets.items()}
    expected = dict(OFFICIAL[dataset], generator=OFFICIAL[dataset]["generator"] - UNUSED_OFFICIAL_SHORTCUTS[dataset])
    assert counts == expected

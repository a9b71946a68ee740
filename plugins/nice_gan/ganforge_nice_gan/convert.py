"""Import of the released NICE-GAN checkpoints (alpc91/NICE-GAN-pytorch: the
``params_<step>.pt`` its trainer saves, e.g. the linked cat2dog light model) into this
plugin's networks, and the inverse.

The file holds one state_dict per network: ``gen2B`` (A -> B), ``gen2A``, ``disA``,
``disB`` (plus optimiser states and ``start_iter``, not imported). Renaming, ours ->
official:

* generator: ``inp.k`` -> ``UpBlock0.k``; ``mlp.k`` -> ``FC.k``; ``gamma``/``beta`` unchanged;
  ``blocks.i`` -> ``UpBlock1_{i+1}``; ``up.j.k`` -> ``UpBlock2.{8j+k}``; ``to_rgb.k`` ->
  ``UpBlock2.{8 n_up + k}`` (UpBlock2 is one Sequential of 8 modules per upsampling, then
  pad, conv, tanh)
* discriminator: ``encoder.layers.i.1`` -> ``model.{3i+1}``; ``encoder.cam.eta`` -> ``fc``,
  ``.fuse`` -> ``conv1x1``, ``.lamda`` -> ``lamda``; ``local_down.i.1`` -> ``Dis0_0.{3i+1}``;
  ``local_head.0.1`` -> ``Dis0_1.1``, ``local_head.1.1`` -> ``conv0``; ``global_head.j.1`` ->
  ``Dis1_0.{3j+1}`` for the stride-2 layers, then ``Dis1_1.1`` and ``conv1``
* spectral norm: torch's parametrization here, the old hook there (``weight_orig``,
  ``weight_u``, ``weight_v``).
"""

from __future__ import annotations

import re

import ganforge
from ganforge.official import Layout

from .discriminator import NICEDiscriminator
from .generator import NICEGenerator

# official checkpoint entry -> the role in this plugin's configs
ROLES = {"gen2B": "generator_ab", "gen2A": "generator_ba", "disA": "discriminator_a", "disB": "discriminator_b"}


def _generator_key(model: NICEGenerator, key: str) -> str:
    head, _, rest = key.partition(".")
    if head == "inp":
        return f"UpBlock0.{rest}"
    if head == "mlp":
        return f"FC.{rest}"
    if head == "blocks":
        i, _, rest = rest.partition(".")
        return f"UpBlock1_{int(i) + 1}.{rest}"
    if head == "up":
        j, k, rest = rest.split(".", 2)
        return f"UpBlock2.{8 * int(j) + int(k)}.{rest}"
    if head == "to_rgb":
        k, _, rest = rest.partition(".")
        return f"UpBlock2.{8 * len(model.up) + int(k)}.{rest}"
    return key  # gamma, beta


def _discriminator_key(model: NICEDiscriminator, key: str) -> str:
    cam = {"eta": "fc", "fuse": "conv1x1", "lamda": "lamda"}
    m = re.fullmatch(r"encoder\.cam\.(eta|fuse|lamda)(.*)", key)
    if m:
        return cam[m[1]] + m[2]
    part, i, rest = re.fullmatch(r"(encoder\.layers|local_down|local_head|global_head)\.(\d+)\.1\.(.+)", key).groups()
    i = int(i)
    if part == "encoder.layers":
        return f"model.{3 * i + 1}.{rest}"
    if part == "local_down":
        return f"Dis0_0.{3 * i + 1}.{rest}"
    if part == "local_head":
        return f"{'Dis0_1.1' if i == 0 else 'conv0'}.{rest}"
    strided = len(model.global_head) - 2
    if i < strided:
        return f"Dis1_0.{3 * i + 1}.{rest}"
    return f"{'Dis1_1.1' if i == strided else 'conv1'}.{rest}"


LAYOUT = Layout("NICE-GAN", {NICEGenerator: _generator_key, NICEDiscriminator: _discriminator_key},
                hint="ch, n_res, n_dis, light (the full generator's FC depends on the image size)")
# ours -> official key; the state_dict as NICE-GAN saves it; its state_dict renamed for a model (checked)
official_names, to_official, from_official = LAYOUT.official_names, LAYOUT.to_official, LAYOUT.from_official


def import_files(files, models) -> "ganforge.official.Imported":
    """``ganforge import nice_gan``: ``gen2B``, ``gen2A``, ``disA``, ``disB`` of a released
    ``params_<step>.pt`` into ``generator_ab``, ``generator_ba``, ``discriminator_a``,
    ``discriminator_b`` (full and light alike: the config says which)."""
    from ganforge.official import Imported

    imported = Imported()
    for f in files:
        if not isinstance(f.state, dict) or not set(f.state) & set(ROLES):
            raise ganforge.DataError(f"{f.path}: not a NICE-GAN checkpoint (expected the entries "
                                     f"{', '.join(ROLES)}; found {sorted(map(str, f.state)) if isinstance(f.state, dict) else type(f.state).__name__})")
        for entry, role in ROLES.items():
            if entry not in f.state:
                continue
            if role not in models:
                raise ganforge.ConfigError(f"{f.path}: holds {entry!r} but the config has no models.{role}")
            imported.models[role] = from_official(models[role], f.entry(entry), f"{f.path} [{entry!r}]")
            imported.sources[role] = str(f.path)
    return imported

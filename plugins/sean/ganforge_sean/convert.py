"""Import of the released SEAN checkpoint (``CelebA-HQ_pretrained/latest_net_G.pth`` of
ZPdesu/SEAN) into a `sean` generator and a `sean_style` encoder.

The official generator holds the style encoder (``Zencoder.*``); here it is its own
network. Otherwise the layouts differ as SPADE's do (``head_0 ... up_3`` vs ``blocks``,
the old spectral-norm hook vs torch's parametrization — `ganforge_spade.convert`'s
tables are reused), plus two SEAN specifics: the official ACE layer names its parts
``ace_0 / ace_1 / ace_s`` and ``Spade``, and keeps one ``fc_mu<j>`` layer per class where
this plugin stacks them into ``fc_mu_weight`` (K, D, D) / ``fc_mu_bias`` (K, D).

Two groups of official tensors have no counterpart and are skipped: the running
statistics of the inner SPADE's never-applied normalisation, and the blending weights of
the style-free ACE layers of up_3, which the official forward never reads.

    >>> G = ganforge.build("generator", "sean", data)          # data: CelebAMask-HQ's DataInfo
    >>> E = ganforge.build("encoder", "sean_style", data)
    >>> load_official(G, E, "checkpoints/CelebA-HQ_pretrained/latest_net_G.pth")
"""

from __future__ import annotations

import os
import re

import torch

import ganforge
from ganforge.weights import check_layout, load_state_dict
from ganforge.official import hook_spectral_name
from ganforge_spade.convert import GENERATOR_BLOCKS

from .encoder import SEANStyleEncoder
from .generator import SEANGenerator
from .norm import SEAN

ACE_NAMES = {"norm_0": "ace_0", "norm_1": "ace_1", "norm_s": "ace_s"}
ENCODER_PREFIX = "Zencoder."
SKIPPED = re.compile(r"\.Spade\.param_free_norm\.")  # plus blending of style-free layers (see below)

# official key -> (role, this plugin's key, row of a stacked per-class tensor or None)
Target = tuple[str, str, int | None]


def _generator_targets(generator: SEANGenerator) -> dict[str, Target]:
    out: dict[str, Target] = {}
    for key in generator.state_dict():
        m = re.fullmatch(r"blocks\.(\d+)\.(norm_[01s])\.(.+)", key)
        if m is None:
            b = re.fullmatch(r"blocks\.(\d+)\.(.+)", key)
            name = f"{GENERATOR_BLOCKS[int(b[1])]}.{b[2]}" if b else key
            out[hook_spectral_name(name)] = ("generator", key, None)
            continue
        block, norm, rest = GENERATOR_BLOCKS[int(m[1])], m[2], m[3]
        prefix = f"{block}.{ACE_NAMES[norm]}."
        stacked = re.fullmatch(r"fc_mu_(weight|bias)", rest)
        if stacked:
            rows = generator.get_submodule(f"blocks.{m[1]}.{norm}").num_classes
            out.update({f"{prefix}fc_mu{j}.{stacked[1]}": ("generator", key, j) for j in range(rows)})
        else:
            out[prefix + re.sub(r"^spade\.", "Spade.", rest)] = ("generator", key, None)
    return out


def official_targets(generator: SEANGenerator, encoder: SEANStyleEncoder) -> dict[str, Target]:
    """Every tensor of the official checkpoint that this pair of networks holds: its key
    there -> (role, key here, row of a stacked per-class tensor or None)."""
    if not isinstance(generator, SEANGenerator) or not isinstance(encoder, SEANStyleEncoder):
        raise TypeError("the SEAN checkpoint loads into a 'sean' generator and a 'sean_style' encoder")
    block_norms = [m for b in generator.blocks for name, m in b.named_children() if name.startswith("norm")]
    if not all(isinstance(m, SEAN) for m in block_norms):
        raise ganforge.ConfigError("the SEAN checkpoint needs 'sean' in both normalizer slots of the generator")
    out = _generator_targets(generator)
    out.update({ENCODER_PREFIX + k: ("encoder", k, None) for k in encoder.state_dict()})
    return out


def _skipped(key: str, generator: SEANGenerator) -> bool:
    """Official tensors without a counterpart (see the module docstring)."""
    if SKIPPED.search(key):
        return True
    m = re.fullmatch(r"(\w+)\.(ace_[01s])\.blending_(gamma|beta)", key)
    if m is None or m[1] not in GENERATOR_BLOCKS:
        return False
    index = GENERATOR_BLOCKS.index(m[1])
    norm = {v: k for k, v in ACE_NAMES.items()}[m[2]]
    return index < len(generator.blocks) and not getattr(generator.blocks[index], norm).params.use_style


def from_official(generator: SEANGenerator, encoder: SEANStyleEncoder, state_dict: dict[str, torch.Tensor],
                  source: str = "the checkpoint") -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """(generator state_dict, encoder state_dict) from the official one; a key or shape that
    does not fit is an error naming it (usually label_nc, ngf or style_length)."""
    targets = official_targets(generator, encoder)
    mine = {"generator": generator.state_dict(), "encoder": encoder.state_dict()}
    given = {k: v for k, v in state_dict.items() if not _skipped(k, generator)}
    expected = {key: mine[role][ours].shape if row is None else mine[role][ours].shape[1:]
                for key, (role, ours, row) in targets.items()}
    check_layout({k: v.shape for k, v in given.items()}, expected, source, "SEAN generator + style encoder",
                 "label_nc, contain_dontcare_label, ngf, style_length, num_upsampling_layers")
    out = {role: {k: v.clone() for k, v in sd.items()} for role, sd in mine.items()}
    for key, (role, ours, row) in targets.items():
        if row is None:
            out[role][ours] = given[key]
        else:
            out[role][ours][row] = given[key]
    return out["generator"], out["encoder"]


def load_official(generator: SEANGenerator, encoder: SEANStyleEncoder, path: str | os.PathLike
                  ) -> tuple[SEANGenerator, SEANStyleEncoder]:
    """Load ``latest_net_G.pth`` of the official release into both networks (in place)."""
    state = load_state_dict(path, "a SEAN checkpoint", "download CelebA-HQ_pretrained from github.com/ZPdesu/SEAN "
                            "and point to its latest_net_G.pth")
    g_state, e_state = from_official(generator, encoder, state, source=str(path))
    generator.load_state_dict(g_state)
    encoder.load_state_dict(e_state)
    return generator, encoder


def to_official(generator: SEANGenerator, encoder: SEANStyleEncoder) -> dict[str, torch.Tensor]:
    """Both networks' weights under the official generator's key names (without the
    official tensors that have no counterpart here)."""
    mine = {"generator": generator.state_dict(), "encoder": encoder.state_dict()}
    return {key: (mine[role][ours] if row is None else mine[role][ours][row]).clone()
            for key, (role, ours, row) in official_targets(generator, encoder).items()}


def import_files(files, models) -> "ganforge.official.Imported":
    """``ganforge import sean``: ``latest_net_G.pth`` (generator and its Zencoder) into the
    config's ``sean`` generator and ``sean_style`` encoder, ``latest_net_D.pth`` into its
    ``multiscale_patch`` discriminator."""
    from ganforge.official import Imported, state_dict
    from ganforge_spade import convert as spade_convert
    from ganforge_spade.discriminator import MultiscalePatchDiscriminator

    roles = {type_: next((r for r, m in models.items() if isinstance(m, type_)), None)
             for type_ in (SEANGenerator, SEANStyleEncoder, MultiscalePatchDiscriminator)}
    g, e, d = roles.values()
    imported = Imported()
    for f in files:
        sd = state_dict(f.state, str(f.path))
        if any(k.startswith(ENCODER_PREFIX) or k.startswith("head_0.") for k in sd):
            if g is None or e is None:
                raise ganforge.DataError(f"{f.path}: a SEAN generator file; the config needs a 'sean' generator and a "
                                "'sean_style' encoder")
            imported.models[g], imported.models[e] = from_official(models[g], models[e], sd, str(f.path))
            imported.sources[g] = imported.sources[e] = str(f.path)
        elif any(k.startswith("discriminator_") for k in sd) and d is not None:
            imported.models[d] = spade_convert.from_official(models[d], sd, str(f.path))
            imported.sources[d] = str(f.path)
        else:
            raise ganforge.DataError(f"{f.path}: neither SEAN's latest_net_G.pth nor latest_net_D.pth layout (keys "
                            f"{', '.join(list(sd)[:4])} ...)")
    return imported

"""Import of the officially released StarGAN v2 checkpoints (clovaai/stargan-v2).

``expr/checkpoints/{afhq,celeba_hq}/100000_nets_ema.ckpt`` is a ``torch.save``d dict with
one state_dict per network: ``generator``, ``mapping_network``, ``style_encoder`` (and
``fan`` for CelebA-HQ); ``100000_nets.ckpt`` also holds ``discriminator``. Our modules
are named after the paper, so keys are renamed by the rules below; two kinds of official
entries carry no weights of ours and are checked, then dropped: the generator's fixed
high-pass kernel ``hpf.filter`` and, with ``w_hpf > 0``, the 1x1 shortcut convs of the
decoder blocks, which the official forward never uses.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Mapping

import torch
from torch import nn

import ganforge
from ganforge.weights import read_file

# official checkpoint entry -> our role
ROLES = {"generator": "generator", "mapping_network": "mapping", "style_encoder": "style_encoder",
         "discriminator": "discriminator", "fan": "fan"}


def _trunk_rules(official: str, ours: str, n_blocks: int) -> list[tuple[str, str]]:
    """The official E and D are one nn.Sequential: conv, n ResBlks, LReLU, 4x4 conv, LReLU
    (D: then the 1x1 output conv)."""
    rules = [(f"{official}.0.", f"{ours}from_rgb.")]
    rules += [(f"{official}.{i}.", f"{ours}blocks.{i - 1}.") for i in range(1, n_blocks + 1)]
    return rules + [(f"{official}.{n_blocks + 2}.", f"{ours}to_vector.1.")]


def rules(entry: str, n_blocks: int = 0) -> list[tuple[str, str]]:
    """(official prefix, our prefix) pairs of one checkpoint entry; ``n_blocks`` is the
    number of residual blocks of the style encoder's / discriminator's trunk."""
    if entry == "generator":
        return [("encode.", "encoder."), ("decode.", "decoder.")]
    if entry == "mapping_network":
        return [("shared.", "shared."), ("unshared.", "heads.")]
    if entry == "style_encoder":
        return _trunk_rules("shared", "trunk.", n_blocks) + [("unshared.", "heads.")]
    if entry == "discriminator":
        return _trunk_rules("main", "trunk.", n_blocks) + [(f"main.{n_blocks + 4}.", "to_logits.")]
    if entry == "fan":
        return [("", "fan.")]
    raise KeyError(f"unknown official checkpoint entry {entry!r}; entries: {', '.join(ROLES)}")


def _rename(key: str, pairs: list[tuple[str, str]], skip: tuple[str, str]) -> str:
    for old, new in pairs:
        if key.startswith(old):
            key = new + key[len(old):]
            break
    return key.replace(*skip)


def _count_blocks(keys, pattern: str) -> int:
    return len({m.group(1) for k in keys if (m := re.match(pattern, k))})


def from_official(entry: str, state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """An official state_dict renamed to ours (the dropped entries are left out)."""
    n = _count_blocks(state, r"^(?:shared|main)\.(\d+)\.conv1\.weight$")
    pairs = rules(entry, n)
    return {_rename(k, pairs, (".conv1x1.", ".skip.")): v for k, v in state.items() if k != "hpf.filter"}


def to_official(entry: str, state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The inverse renaming: our state_dict with the official key names."""
    n = _count_blocks(state, r"^trunk\.blocks\.(\d+)\.conv1\.weight$")
    pairs = [(new, old) for old, new in rules(entry, n)]
    return {_rename(k, pairs, (".skip.", ".conv1x1.")): v for k, v in state.items()}


def _unused_official(module: nn.Module, state: dict[str, torch.Tensor], source: str) -> set[str]:
    """Official entries the generator has no weight for: check them, name them."""
    w_hpf = getattr(getattr(module, "params", None), "w_hpf", 0)
    unused = {k for k in state if re.match(r"^decoder\.\d+\.skip\.weight$", k) and k not in module.state_dict()}
    if unused and not w_hpf:
        raise ganforge.ConfigError(f"{source}: the checkpoint's decoder has no shortcut convs in use only when "
                                   "w_hpf > 0; build the generator with w_hpf: 1 (the CelebA-HQ setting)")
    return unused


def load_entry(module: nn.Module, entry: str, state: Mapping[str, torch.Tensor], source: str = "checkpoint") -> None:
    """Load one official entry into ``module``; mismatches name the keys and shapes."""
    if entry == "generator" and "hpf.filter" in state:
        w_hpf = getattr(module.params, "w_hpf", 0)
        kernel = state["hpf.filter"]
        if not w_hpf or not torch.allclose(kernel.float() * w_hpf, torch.tensor(
                [[-1.0, -1, -1], [-1, 8, -1], [-1, -1, -1]])):
            raise ganforge.ConfigError(f"{source}: the checkpoint's generator has a high-pass filter for "
                                       f"w_hpf = {8 / float(kernel[1, 1]):g}; the generator is built with w_hpf = {w_hpf}")
    ours = from_official(entry, state)
    if entry == "generator":
        for k in _unused_official(module, ours, source):
            del ours[k]
    own = module.state_dict()
    own = {k: v for k, v in own.items() if not k.endswith("num_batches_tracked") or k in ours}
    missing, unexpected = sorted(set(own) - set(ours)), sorted(set(ours) - set(own))
    wrong = [f"{k}: checkpoint {tuple(ours[k].shape)}, model {tuple(own[k].shape)}"
             for k in own if k in ours and ours[k].shape != own[k].shape]
    if missing or unexpected or wrong:
        raise ganforge.ConfigError(
            f"{source}: entry {entry!r} does not fit models.{ROLES[entry]} "
            f"(check num_domains, style_dim, latent_dim, w_hpf and the resolution):"
            + (f"\n  missing: {missing[:6]}" if missing else "")
            + (f"\n  unexpected: {[k for k in unexpected[:6]]}" if unexpected else "")
            + (f"\n  shapes: {wrong[:6]}" if wrong else ""))
    module.load_state_dict(ours, strict=False)


def load_official(path: str | os.PathLike, models: Mapping[str, nn.Module]) -> list[str]:
    """Load the released checkpoint at ``path`` into ``models`` (role -> network) for every
    entry it holds whose role is present; returns the roles loaded."""
    path = Path(path)
    state = read_file(path, "an official StarGAN v2 checkpoint", "the released ones come from clovaai/stargan-v2's "
                      "`bash download.sh pretrained-network-afhq` (or -celeba-hq)")
    if not isinstance(state, dict) or not set(state) & set(ROLES):
        raise ganforge.DataError(f"{path}: not an official StarGAN v2 checkpoint (entries: "
                                 f"{sorted(state) if isinstance(state, dict) else type(state).__name__})")
    loaded = []
    for entry, sd in state.items():
        role = ROLES.get(entry)
        if role in models:
            load_entry(models[role], entry, sd, str(path))
            loaded.append(role)
    return loaded


def import_files(files, models) -> "ganforge.official.Imported":
    """``ganforge import stargan_v2``: ``<step>_nets_ema.ckpt`` (generator, mapping network,
    style encoder, CelebA-HQ's FAN) gives the EMA copies, and the trained networks too
    unless ``<step>_nets.ckpt`` (which also holds the discriminator) is given as well."""
    from ganforge.official import Imported

    imported = Imported()
    for f in files:
        if not isinstance(f.state, dict) or not set(f.state) & set(ROLES):
            raise ganforge.DataError(f"{f.path}: not an official StarGAN v2 checkpoint (its entries: "
                                     f"{sorted(map(str, f.state)) if isinstance(f.state, dict) else type(f.state).__name__}"
                                     f"; expected {', '.join(ROLES)})")
        ema = "discriminator" not in f.state or f.path.name.endswith("_ema.ckpt")
        for entry in f.state:
            role = ROLES.get(entry)
            if role is None:
                raise ganforge.DataError(f"{f.path}: unknown entry {entry!r}; entries are {', '.join(ROLES)}")
            if role not in models:
                raise ganforge.ConfigError(f"{f.path}: holds {entry!r} but the config has no models.{role}")
            load_entry(models[role], entry, f.entry(entry), str(f.path))
            state = {k: v.detach().clone() for k, v in models[role].state_dict().items()}
            (imported.ema if ema and role != "fan" else imported.models)[role] = state
            imported.sources[role] = str(f.path)
    return imported

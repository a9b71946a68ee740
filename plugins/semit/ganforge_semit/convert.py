"""Import of checkpoints saved by SEMIT's official trainer (yaxingwang/SEMIT ``trainer.py``:
``gen_<iter>.pt`` holding ``gen`` and its moving average ``gen_test``, ``dis_<iter>.pt``
holding ``dis``) into this plugin's networks, and the inverse.

Renaming, ours -> official (the other names are the official ones):

* generator: ``enc_content.blocks.i`` / ``dec.blocks.i`` -> ``enc_content.Res{i+1}`` /
  ``dec.Res{i+1}``; ``enc_class_model.project`` -> ``enc_class_model.Conv2d``; ``mlp.{2j}``
  (Linear, ReLU, ... Sequential) -> ``mlp.model.j.fc``
* discriminator: ``cnn_f.k`` -> ``cnn_f.{k-1}`` (our reflection pad is a module, theirs sits
  inside the first ``Conv2dBlock``), each conv one level deeper (``cnn_f.0.conv``,
  ``conv_0.conv``, ``conv_s.conv``); ``cnn_c`` -> ``cnn_c.0.conv``

The official generator also holds tensors its forward never reads, dropped on import and
written with their initial values on export: the AdaIN layers' ``running_mean`` /
``running_var`` (the norm runs on repeated copies of them, so they stay 0 and 1) and the
class encoder's BatchNorms ``bn1`` / ``bn2`` (built, never called).
"""

from __future__ import annotations

import re

import torch
from torch import nn

import ganforge
from ganforge.official import Imported, Layout

from .discriminator import SEMITDiscriminator
from .generator import SEMITGenerator

# official entry -> (role, EMA copy or not)
ENTRIES = {"gen": ("generator", False), "gen_test": ("generator", True), "dis": ("discriminator", False)}


def _generator_key(model: SEMITGenerator, key: str) -> str:
    key = re.sub(r"^(enc_content|dec)\.blocks\.(\d+)\.", lambda m: f"{m[1]}.Res{int(m[2]) + 1}.", key)
    key = re.sub(r"^enc_class_model\.project\.", "enc_class_model.Conv2d.", key)
    return re.sub(r"^mlp\.(\d+)\.", lambda m: f"mlp.model.{int(m[1]) // 2}.fc.", key)


def _discriminator_key(model: SEMITDiscriminator, key: str) -> str:
    m = re.fullmatch(r"cnn_f\.(\d+)\.(?:(conv_[01s])\.)?(weight|bias)", key)
    if m:
        return f"cnn_f.{int(m[1]) - 1}.{m[2] + '.' if m[2] else ''}conv.{m[3]}"
    return key.replace("cnn_c.", "cnn_c.0.conv.")


def _unused(model: nn.Module) -> dict[str, torch.Tensor]:
    """The official generator's never-read tensors, as its constructor creates them."""
    if not isinstance(model, SEMITGenerator):
        return {}
    nf, out = model.params.nf, {}
    for i in range(len(model.dec.blocks)):
        for name in (f"dec.Res{i + 1}.{norm}.{branch}" for norm in ("bn1", "bn2") for branch in ("bnh", "bnl")):
            out |= {f"{name}.running_mean": torch.zeros(4 * nf), f"{name}.running_var": torch.ones(4 * nf)}
    for norm, c in (("bn1", nf), ("bn2", 2 * nf)):
        for name in (f"enc_class_model.{norm}.{branch}" for branch in ("bnh", "bnl")):
            out |= {f"{name}.weight": torch.ones(c), f"{name}.bias": torch.zeros(c),
                    f"{name}.running_mean": torch.zeros(c), f"{name}.running_var": torch.ones(c),
                    f"{name}.num_batches_tracked": torch.tensor(0)}
    return out


LAYOUT = Layout("SEMIT", {SEMITGenerator: _generator_key, SEMITDiscriminator: _discriminator_key},
                hint="nf, n_res_blks (the official networks build 6), latent_dim, nf_mlp, n_mlp_blks, and the "
                     "discriminator's nf, n_res_blks and number of classes", unused=_unused)
# ours -> official key; the state_dict as SEMIT saves it; SEMIT's state_dict renamed for a model (checked)
official_names, to_official, from_official = LAYOUT.official_names, LAYOUT.to_official, LAYOUT.from_official


def import_files(files, models) -> Imported:
    """``ganforge import semit``: ``gen`` (trained) and ``gen_test`` (its moving average, the
    EMA copy) of ``gen_<iter>.pt`` into ``generator``, ``dis`` of ``dis_<iter>.pt`` into
    ``discriminator``."""
    imported = Imported()
    for f in files:
        if not isinstance(f.state, dict) or not set(f.state) & set(ENTRIES):
            found = sorted(map(str, f.state)) if isinstance(f.state, dict) else type(f.state).__name__
            raise ganforge.DataError(f"{f.path}: not a SEMIT checkpoint (expected gen_<iter>.pt with 'gen' and "
                                     f"'gen_test', or dis_<iter>.pt with 'dis'; found {found})")
        for entry in f.state:
            if entry not in ENTRIES:
                raise ganforge.DataError(f"{f.path}: unknown entry {entry!r}; SEMIT's files hold "
                                         f"{', '.join(ENTRIES)}")
            role, ema = ENTRIES[entry]
            if role not in models:
                raise ganforge.ConfigError(f"{f.path}: holds {entry!r} but the config has no models.{role}")
            state = from_official(models[role], f.entry(entry), f"{f.path} [{entry!r}]")
            (imported.ema if ema else imported.models)[role] = state
            imported.sources[role] = str(f.path)
    return imported

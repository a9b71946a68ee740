"""Import the official releases (saic-mdal/HiDT ``trained_models/``): the translation
network ``generator/daytime.pt`` / ``wikiart.pt`` (a state_dict of
``GeneratorContentStyleUnet``: ``content_encoder.*``, ``style_encoder.*``,
``decoder.*``) and ``enhancer/enhancer.pth`` (``RRDBNet``).

Official -> ganforge:

* ``content_encoder.model_preparation.0`` -> ``content_encoder.stem``;
  ``model_downsample.i`` -> ``down.i``; ``model_postprocess.0.model.j.model.k`` ->
  ``blocks.j.conv{k+1}``
* ``style_encoder.body.i`` -> the style encoder's ``body.i``; ``head.1`` -> ``head``
* ``decoder.body.0.model.j.model.k`` -> ``blocks.j.conv{k+1}``;
  ``skip_preprocess.i.0`` -> ``skip_blocks.i``; ``upsample_postprocess.i.0`` -> ``ups.i``;
  ``model_postprocess.0`` -> ``out``; ``adain_net.model.i.fc`` -> ``mlp.{2i}`` except the
  last layer, whose rows are split among the AdaIN layers in the official order (decoder
  blocks, then skips), ``2 C`` rows each: beta ("mean") then gamma ("std")
* AdaIN's dummy ``running_mean`` / ``running_var`` buffers are dropped.
"""

from __future__ import annotations

import os
import re

import torch
from torch import nn

import ganforge
from ganforge.weights import load_state_dict

RULES = (
    (r"content_encoder\.model_preparation\.0\.", "content_encoder.stem."),
    (r"content_encoder\.model_downsample\.(\d+)\.", r"content_encoder.down.\1."),
    (r"content_encoder\.model_postprocess\.0\.model\.(\d+)\.model\.(\d+)\.", None),
    (r"decoder\.body\.0\.model\.(\d+)\.model\.(\d+)\.", None),
    (r"decoder\.skip_preprocess\.(\d+)\.0\.", r"skip_blocks.\1."),
    (r"decoder\.upsample_postprocess\.(\d+)\.0\.", r"ups.\1."),
    (r"decoder\.model_postprocess\.0\.", "out."),
)
ENHANCER_RULES = (
    (r"RRDB_trunk\.(\d+)\.RDB(\d)\.conv(\d)\.", None),
    (r"HRconv\.", "hr_conv."),
)


def _block_key(match: re.Match, prefix: str) -> str:
    return f"{prefix}blocks.{match.group(1)}.conv{int(match.group(2)) + 1}."


def _rename(key: str) -> str | None:
    """The ganforge generator key of an official non-AdaIN generator key (None: not the generator's)."""
    for pattern, repl in RULES:
        m = re.match(pattern, key)
        if m is None:
            continue
        if repl is None:
            prefix = "content_encoder." if key.startswith("content_encoder") else ""
            return _block_key(m, prefix) + key[m.end():]
        return m.expand(repl) + key[m.end():]
    return None


def adain_layers(generator: nn.Module) -> list[str]:
    """Names of the generator's AdaIN layers in the official parameter order."""
    blocks = [f"blocks.{j}.conv{k}.norm" for j in range(len(generator.blocks)) for k in (1, 2)]
    return blocks + [f"skip_blocks.{i}.norm" for i in range(len(generator.skip_blocks))]


def split_generator(state: dict[str, torch.Tensor], generator: nn.Module) -> tuple[dict, dict]:
    """(generator state, style encoder state) from an official generator state_dict."""
    state = {k.removeprefix("module."): v for k, v in state.items()}
    gen, style = {}, {}
    mlp = sorted((k for k in state if k.startswith("decoder.adain_net.model.")),
                 key=lambda k: (int(k.split(".")[3]), k))
    last = max((int(k.split(".")[3]) for k in mlp), default=-1)
    for key, value in state.items():
        if key.endswith(("running_mean", "running_var")) and ".norm." in key:
            continue
        if key.startswith("style_encoder."):
            style[key.removeprefix("style_encoder.").replace("head.1.", "head.")] = value
        elif key.startswith("decoder.adain_net.model."):
            index = int(key.split(".")[3])
            if index < last:
                gen[f"mlp.{2 * index}.{key.rsplit('.', 1)[1]}"] = value
        else:
            new = _rename(key)
            if new is None:
                raise ganforge.ConfigError(f"official HiDT generator: unexpected key {key!r}")
            gen[new] = value
    for kind in ("weight", "bias"):
        rows = state.get(f"decoder.adain_net.model.{last}.fc.{kind}")
        if rows is None:
            raise ganforge.ConfigError(f"official HiDT generator: no decoder.adain_net.model.{last}.fc.{kind}")
        start = 0
        for name in adain_layers(generator):
            width = 2 * generator.get_submodule(name).num_features
            gen[f"{name}.fc.{kind}"] = rows[start:start + width]
            start += width
        if start != rows.shape[0]:
            raise ganforge.ConfigError(f"official HiDT generator: the AdaIN MLP predicts {rows.shape[0]} values, "
                                       f"this generator's AdaIN layers take {start}; is it the same config?")
    return gen, style


def convert_enhancer(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A ganforge `HiDTEnhancer` state from an official ``RRDBNet`` state_dict."""
    out = {}
    for key, value in state.items():
        key = key.removeprefix("module.")
        m = re.match(ENHANCER_RULES[0][0], key)
        if m is not None:
            block, rdb, conv = (int(g) for g in m.groups())
            key = f"trunk.{block}.blocks.{rdb - 1}.convs.{conv - 1}." + key[m.end():]
        else:
            key = key.replace("HRconv.", "hr_conv.")
        out[key] = value
    return out


def enhancer_to_official(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A `HiDTEnhancer` state under the official ``RRDBNet`` names (the inverse of `convert_enhancer`)."""
    out = {}
    for key, value in state.items():
        m = re.match(r"trunk\.(\d+)\.blocks\.(\d+)\.convs\.(\d+)\.", key)
        if m is not None:
            block, rdb, conv = (int(g) for g in m.groups())
            key = f"RRDB_trunk.{block}.RDB{rdb + 1}.conv{conv + 1}." + key[m.end():]
        out[key.replace("hr_conv.", "HRconv.")] = value
    return out


def _read(path: str | os.PathLike, what: str) -> dict[str, torch.Tensor]:
    return load_state_dict(path, f"the official {what}", f"trained_models/{what} of https://github.com/saic-mdal/HiDT")


def _load(module: nn.Module, state: dict, source: str) -> None:
    try:
        module.load_state_dict(state)
    except RuntimeError as exc:
        raise ganforge.DataError(f"{source}: does not fit {type(module).__name__}: {exc}") from None


def load_official(path: str | os.PathLike, generator: nn.Module, style_encoder: nn.Module) -> None:
    """Load ``daytime.pt`` / ``wikiart.pt`` into a `HiDTGenerator` and a `HiDTStyleEncoder`
    built with the matching config (configs/daytime.yaml, configs/wikiart.yaml)."""
    gen, style = split_generator(_read(path, "generator/daytime.pt"), generator)
    _load(generator, gen, f"{path} (generator)")
    _load(style_encoder, style, f"{path} (style encoder)")


def is_enhancer(state: dict[str, torch.Tensor]) -> bool:
    """Whether an official state_dict is the enhancer's (``RRDBNet``), not the generator's."""
    return any(k.removeprefix("module.").startswith(("RRDB_trunk.", "conv_first.")) for k in state)


def import_files(files, models) -> "ganforge.official.Imported":
    """``ganforge import hidt``: ``trained_models/generator/daytime.pt`` / ``wikiart.pt`` into
    the config's ``hidt`` generator and ``hidt_style`` encoder, and
    ``trained_models/enhancer/enhancer.pth`` into its ``hidt_enhancer`` (the run's
    ``models.enhancer``; the release holds no discriminator)."""
    from ganforge.official import Imported, state_dict

    from .enhancement import HiDTEnhancer
    from .generator import HiDTGenerator
    from .style_encoder import HiDTStyleEncoder

    def role(cls):
        return next((r for r, m in models.items() if isinstance(m, cls)), None)

    g, e, enh = role(HiDTGenerator), role(HiDTStyleEncoder), role(HiDTEnhancer)
    imported = Imported()
    for f in files:
        sd = state_dict(f.state, str(f.path))
        if is_enhancer(sd):
            if enh is None:
                raise ganforge.ConfigError(f"{f.path}: HiDT's enhancer (RRDBNet), but the config builds no "
                                           "'hidt_enhancer' network; add --set models.enhancer.type=hidt_enhancer")
            imported.models[enh] = convert_enhancer(sd)
            imported.sources[enh] = str(f.path)
            continue
        if g is None or e is None:
            raise ganforge.ConfigError("the HiDT release loads into a 'hidt' generator and a 'hidt_style' encoder; "
                                       "the config has " + ", ".join(f"{r} ({type(m).__name__})"
                                                                     for r, m in models.items()))
        try:
            imported.models[g], imported.models[e] = split_generator(sd, models[g])
        except ganforge.ConfigError as exc:
            raise ganforge.DataError(f"{f.path}: {exc}") from None
        imported.sources[g] = imported.sources[e] = str(f.path)
    return imported

"""Import of rosinality/stylegan2-pytorch checkpoints (``g_ema`` / ``g`` / ``d`` state_dicts),
the PyTorch layout most released StyleGAN2 weights circulate in (NVlabs' TF and ADA
``.pkl`` files are converted to it by rosinality's ``convert_weight.py``; see the README).

The official key layout (the facts this module maps) for a generator of ``log2(res) = L``:

    style.{1..8}.{weight,bias}                       mapping layers (index 0 is PixelNorm)
    input.input (1, C4, 4, 4)                        learned constant
    conv1.* / to_rgb1.*                              the 4x4 conv and tRGB
    convs.{0..2L-5}.* / to_rgbs.{0..L-3}.*           two convs and one tRGB per resolution 8..res
    *.conv.weight (1, out, in, k, k), *.conv.modulation.{weight,bias}, *.noise.weight (1,),
    *.activate.bias (out,), to_rgb*.bias (1, 3, 1, 1), noises.noise_{i}, *.kernel (blur buffers)

and for the discriminator ``convs.0.{0.weight,1.bias}`` (fromRGB), ``convs.{1..L-2}.{conv1,
conv2,skip}`` residual blocks, ``final_conv``, ``final_linear.{0,1}``. Blur kernels are
constants ([1,3,3,1]) and skipped. The fixed noise maps ``noises.noise_<i>`` (what its
``randomize_noise=False`` generates with) become ``synthesis_network.noise_<i>`` of a
generator with ``noise: fixed``, and are skipped for one with ``noise: random``.
"""

from __future__ import annotations

import re
from typing import Callable, Mapping

import torch
from torch import nn

from ganforge.errors import DataError

Rule = tuple[str, str]

# (official regex, our key template); \1.. are the regex groups, {b} a computed block index
GENERATOR_RULES: tuple[Rule, ...] = (
    (r"style\.(\d+)\.(weight|bias)", "mapping_network.layers.{p1}.{2}"),
    (r"input\.input", "synthesis_network.blocks.0.const"),
    (r"conv1\.conv\.weight", "synthesis_network.blocks.0.convs.0.conv.weight"),
    (r"conv1\.conv\.modulation\.(weight|bias)", "synthesis_network.blocks.0.convs.0.conv.affine.{1}"),
    (r"conv1\.noise\.weight", "synthesis_network.blocks.0.convs.0.noise_strength"),
    (r"conv1\.activate\.bias", "synthesis_network.blocks.0.convs.0.bias"),
    (r"to_rgb1\.conv\.weight", "synthesis_network.blocks.0.torgb.conv.weight"),
    (r"to_rgb1\.conv\.modulation\.(weight|bias)", "synthesis_network.blocks.0.torgb.conv.affine.{1}"),
    (r"to_rgb1\.bias", "synthesis_network.blocks.0.torgb.bias"),
    (r"convs\.(\d+)\.conv\.weight", "synthesis_network.blocks.{half1}.convs.{mod1}.conv.weight"),
    (r"convs\.(\d+)\.conv\.modulation\.(weight|bias)", "synthesis_network.blocks.{half1}.convs.{mod1}.conv.affine.{2}"),
    (r"convs\.(\d+)\.noise\.weight", "synthesis_network.blocks.{half1}.convs.{mod1}.noise_strength"),
    (r"convs\.(\d+)\.activate\.bias", "synthesis_network.blocks.{half1}.convs.{mod1}.bias"),
    (r"to_rgbs\.(\d+)\.conv\.weight", "synthesis_network.blocks.{p1}.torgb.conv.weight"),
    (r"to_rgbs\.(\d+)\.conv\.modulation\.(weight|bias)", "synthesis_network.blocks.{p1}.torgb.conv.affine.{2}"),
    (r"to_rgbs\.(\d+)\.bias", "synthesis_network.blocks.{p1}.torgb.bias"),
    (r"noises\.noise_(\d+)", "synthesis_network.noise_{1}"),
)
DISCRIMINATOR_RULES: tuple[Rule, ...] = (
    (r"convs\.0\.0\.weight", "from_rgb.weight"),
    (r"convs\.0\.1\.bias", "from_rgb.bias"),
    (r"convs\.(\d+)\.conv1\.0\.weight", "blocks.{m1}.conv0.weight"),
    (r"convs\.(\d+)\.conv1\.1\.bias", "blocks.{m1}.conv0.bias"),
    (r"convs\.(\d+)\.conv2\.1\.weight", "blocks.{m1}.conv1.weight"),
    (r"convs\.(\d+)\.conv2\.2\.bias", "blocks.{m1}.conv1.bias"),
    (r"convs\.(\d+)\.skip\.1\.weight", "blocks.{m1}.skip.weight"),
    (r"final_conv\.0\.weight", "final_conv.weight"),
    (r"final_conv\.1\.bias", "final_conv.bias"),
    (r"final_linear\.0\.(weight|bias)", "final_fc.{1}"),
    (r"final_linear\.1\.(weight|bias)", "out.{1}"),
)
SKIPPED = re.compile(r".*\.kernel")
NOISE = re.compile(r"noises\.noise_\d+")


def _target(key: str, rules: tuple[Rule, ...]) -> str | None:
    """Our key for an official key, by the first matching rule (None: no rule matches).

    Template fields: ``{n}`` group n; ``{p1}`` group 1 plus one (mapping layer after
    PixelNorm -> ours, to_rgbs.j -> block j + 1); ``{m1}`` group 1 minus one (D blocks
    after fromRGB); ``{half1}``/``{mod1}`` the block (j // 2 + 1) and conv (j % 2) of convs.j.
    """
    for pattern, template in rules:
        m = re.fullmatch(pattern, key)
        if m:
            g = m.groups()
            first = int(g[0]) if g and g[0].isdigit() else 0
            fields = {"p1": first + 1, "m1": first - 1, "half1": first // 2 + 1, "mod1": first % 2}
            if template.startswith("mapping_network"):
                fields["p1"] = first - 1  # style.0 is PixelNorm, style.1 the first layer
            return template.format(None, *g, **fields)
    return None


def convert_state_dict(official: Mapping[str, torch.Tensor], net: nn.Module, rules: tuple[Rule, ...],
                       what: str) -> dict[str, torch.Tensor]:
    """``official`` renamed and reshaped to ``net``'s state_dict; every mismatch (unknown key,
    missing key, shape) is a DataError naming ``what`` and the key."""
    ours = net.state_dict()
    out: dict[str, torch.Tensor] = {}
    for key, value in official.items():
        if SKIPPED.fullmatch(key):
            continue
        target = _target(key, rules)
        if NOISE.fullmatch(key) and target not in ours:
            continue  # a generator with random noise keeps no maps
        if target is None or target not in ours:
            raise DataError(f"{what}: unexpected key {key!r} (not rosinality's StyleGAN2 layout for this network)")
        if value.numel() != ours[target].numel():
            raise DataError(f"{what}: {key} has shape {tuple(value.shape)}, the network expects "
                            f"{tuple(ours[target].shape)} for {target}; wrong --resolution, --channel-multiplier or --latent-dim?")
        out[target] = value.reshape(ours[target].shape).to(ours[target].dtype)
    missing = sorted(set(ours) - set(out) - {"mapping_network.w_avg"})
    if missing:
        hint = "; it holds no fixed noise maps: import with noise: random" if "synthesis_network.noise_0" in missing else ""
        raise DataError(f"{what}: no weights for {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}{hint}")
    return out


@torch.no_grad()
def estimate_w_avg(G: nn.Module, samples: int = 4096, seed: int = 0) -> torch.Tensor:
    """The mean w of ``samples`` latents (rosinality stores no running average)."""
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(samples, G.z_dim, generator=gen)
    mapping = G.mapping_network
    was_training = mapping.training
    mapping.eval()
    w = mapping(z).mean(0)
    mapping.train(was_training)
    return w


def import_official(state: Mapping, generator_factory: Callable[[], nn.Module],
                    discriminator: nn.Module | None) -> dict[str, dict[str, torch.Tensor]]:
    """Our state_dicts of a rosinality checkpoint: ``ema`` (g_ema) and, when present, the
    trained ``generator`` (g) and ``discriminator`` (d). ``w_avg`` is the checkpoint's
    ``latent_avg`` (NVlabs exports) or an estimate."""
    out: dict[str, dict[str, torch.Tensor]] = {}
    for name, key in (("ema", "g_ema"), ("generator", "g")):
        if key not in state:
            continue
        G = generator_factory()
        G.load_state_dict(convert_state_dict(state[key], G, GENERATOR_RULES, f"checkpoint[{key!r}]"), strict=False)
        latent_avg = state.get("latent_avg")
        w_avg = latent_avg.reshape(-1).float() if latent_avg is not None else estimate_w_avg(G)
        G.mapping_network.w_avg.copy_(w_avg)
        out[name] = G.state_dict()
    if "d" in state and discriminator is not None:
        out["discriminator"] = convert_state_dict(state["d"], discriminator, DISCRIMINATOR_RULES, "checkpoint['d']")
    return out


def import_files(files, models) -> "ganforge.official.Imported":
    """``ganforge import stylegan2``: a rosinality checkpoint's ``g_ema`` becomes the
    generator's EMA copy (what sampling uses), ``g`` the trained generator (``g_ema`` when
    absent) and ``d`` the discriminator; ``latent_avg`` (NVlabs exports) is w_avg, else
    it is estimated from 4096 latents; the fixed noise maps are kept when the config's
    generator has ``noise: fixed``."""
    import copy

    from ganforge.official import Imported

    imported = Imported()
    for f in files:
        if not isinstance(f.state, dict) or "g_ema" not in f.state:
            raise DataError(f"{f.path}: no 'g_ema' entry; not a rosinality/stylegan2-pytorch checkpoint "
                            "(NVlabs .pkl files must be exported first, see the stylegan2 README)")
        generator = models["generator"]
        try:
            nets = import_official(f.state, lambda: copy.deepcopy(generator), models.get("discriminator"))
        except DataError as exc:
            raise DataError(f"{f.path}: {exc}") from None
        imported.ema["generator"] = nets["ema"]
        imported.models["generator"] = nets.get("generator", nets["ema"])
        if "discriminator" in nets:
            imported.models["discriminator"] = nets["discriminator"]
        imported.sources.update(dict.fromkeys(("generator", "discriminator"), str(f.path)))
    return imported

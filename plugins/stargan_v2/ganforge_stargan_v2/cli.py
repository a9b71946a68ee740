"""``ganforge stargan-v2 ...``: the paper's applications on a trained or released model.

CHECKPOINT is a ganforge run folder or checkpoint (an official release becomes one with
``ganforge import stargan_v2``). Images are given as
files; a reference is ``PATH:DOMAIN`` (its domain index, e.g. AFHQ cat 0, dog 1, wild 2).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import torch

import ganforge
from ganforge.cli_types import SEED
from ganforge.report import save_rows, saved_message
from ganforge.data.io import load_images

from . import apps, evaluate

checkpoint_arg = click.argument("checkpoint", type=click.Path(exists=True))
source_opt = click.option("--source", "sources", multiple=True, required=True, type=click.Path(exists=True),
                          help="image to translate (repeatable; one column each)")
out_opt = click.option("--out", type=click.Path(), required=True, help="PNG grid to write")
seed_opt = click.option("--seed", type=SEED, default=0, show_default=True, help="seed of the latent codes")


def parse_reference(text: str) -> tuple[str, int]:
    path, _, domain = text.rpartition(":")
    if not path or not domain.isdigit():
        raise ganforge.ConfigError(f"--reference {text!r}: expected PATH:DOMAIN, e.g. cat.jpg:0")
    if not Path(path).is_file():
        raise ganforge.DataError(f"--reference {text!r}: no such file {path}")
    return path, int(domain)


def _check_domains(nets: apps.Networks, domains) -> None:
    bad = [d for d in domains if not 0 <= d < nets.data.num_domains]
    if bad:
        raise ganforge.ConfigError(f"domain {bad[0]} out of range: the model has {nets.data.num_domains} domains")


def _sources(nets: apps.Networks, sources) -> torch.Tensor:
    return load_images(sources, nets.data.resolution)


def _references(nets: apps.Networks, references) -> tuple[torch.Tensor, torch.Tensor]:
    pairs = [parse_reference(r) for r in references]
    _check_domains(nets, [d for _, d in pairs])
    images = load_images([p for p, _ in pairs], nets.data.resolution)
    return images, torch.tensor([d for _, d in pairs])


def _write(rows: dict[str, torch.Tensor], out) -> str:
    """The named rows (clamped to [-1, 1]) as a grid; returns what the command prints."""
    return saved_message(*save_rows({name: row.clamp(-1, 1) for name, row in rows.items()}, Path(out)))


def latent_command(checkpoint, sources, domains, styles, psi, seed, out) -> str:
    """Rows: source, then one per (target domain, latent code)."""
    nets = apps.load_networks(checkpoint)
    domains = list(domains) or list(range(nets.data.num_domains))
    _check_domains(nets, domains)
    source = _sources(nets, sources)
    torch.manual_seed(seed)
    z = torch.randn(styles, nets.latent_dim)
    fakes = iter(apps.latent_guided(nets, source, domains, z, psi))
    rows = {"source": source}
    rows.update({f"domain {d}, z {k + 1}": next(fakes)  # named as the recipe's sample rows
                 for d in domains for k in range(styles)})
    return _write(rows, out)


def reference_command(checkpoint, sources, references, out) -> str:
    """Official layout: the first row holds the sources after a blank cell, each further
    row a reference followed by the sources in its style."""
    nets = apps.load_networks(checkpoint)
    source = _sources(nets, sources)
    reference, domain = _references(nets, references)
    rows = {"source": torch.cat([torch.ones_like(source[:1]), source])}
    fakes = apps.reference_guided(nets, source, reference, domain)
    for j, (ref, d, fake) in enumerate(zip(reference, domain.tolist(), fakes)):
        rows[f"reference {j} (domain {d}) | its style"] = torch.cat([ref[None], fake])
    return _write(rows, out)


def interpolate_command(checkpoint, sources, references, domain, steps, seed, out) -> str:
    """Between the styles of two references, or of two random z in ``domain``."""
    nets = apps.load_networks(checkpoint)
    source = _sources(nets, sources)
    if references:
        if len(references) != 2:
            raise ganforge.ConfigError("--reference: give exactly two (PATH:DOMAIN) to interpolate between")
        images, domains = _references(nets, references)
        s = nets.style_encoder(images, ganforge.Condition(domain=domains))["style"].detach()
    else:
        if domain is None:
            raise ganforge.ConfigError("give two --reference PATH:DOMAIN, or --domain D for two random styles")
        _check_domains(nets, [domain])
        torch.manual_seed(seed)
        z = torch.randn(2, nets.latent_dim)
        with torch.no_grad():
            s = nets.mapping(None, ganforge.Condition(z=z, domain=torch.tensor([domain, domain])))["style"]
    frames = apps.interpolate(nets, source, s[:1], s[1:], steps)
    ts = torch.linspace(0, 1, steps).tolist()
    return _write({"source": source, **{f"t = {t:.2f}": frame for t, frame in zip(ts, frames)}}, out)


def evaluate_command(checkpoint, mode, val_set, real_set, num_val, num_real, outputs, batch_size, seed,
                     fid_network, fid_weights, lpips_weights, lpips_lin) -> dict[str, float]:
    nets = apps.load_networks(checkpoint)
    sources, reals = evaluate.protocol_images(nets.config.data.model_dump(mode="json"), val_set, real_set,
                                              nets.data.num_domains, num_val, num_real)
    fid = {"type": "fid", "network": fid_network, "weights": fid_weights}
    diversity = {"type": "lpips_diversity", "backbone_weights": lpips_weights, "lin_weights": lpips_lin}
    return evaluate.evaluate(nets, sources, reals, mode, fid, diversity, outputs, batch_size, seed)


def add_commands(group: click.Group) -> None:
    @group.group(name="stargan-v2")
    def stargan_v2() -> None:
        """StarGAN v2 applications: latent-guided, reference-guided synthesis, style interpolation."""

    @stargan_v2.command()
    @checkpoint_arg
    @source_opt
    @click.option("--domain", "domains", type=int, multiple=True, help="target domain (repeatable; default: all)")
    @click.option("--styles", type=int, default=4, show_default=True, help="random styles per domain")
    @click.option("--psi", type=float, default=1.0, show_default=True,
                  help="truncation towards the domain's average style (1 = none)")
    @seed_opt
    @out_opt
    def latent(checkpoint, sources, domains, styles, psi, seed, out):
        """Latent-guided synthesis: each source in several random styles of each target domain."""
        click.echo(latent_command(checkpoint, sources, domains, styles, psi, seed, out))

    @stargan_v2.command()
    @checkpoint_arg
    @source_opt
    @click.option("--reference", "references", multiple=True, required=True, help="PATH:DOMAIN (repeatable)")
    @out_opt
    def reference(checkpoint, sources, references, out):
        """Reference-guided synthesis: each source in the style of each reference image."""
        click.echo(reference_command(checkpoint, sources, references, out))

    @stargan_v2.command()
    @checkpoint_arg
    @source_opt
    @click.option("--reference", "references", multiple=True, help="two PATH:DOMAIN to interpolate between")
    @click.option("--domain", type=int, default=None, help="without references: two random styles of this domain")
    @click.option("--steps", type=int, default=8, show_default=True, help="interpolation points, ends included")
    @seed_opt
    @out_opt
    def interpolate(checkpoint, sources, references, domain, steps, seed, out):
        """Style interpolation: the sources along a line between two styles."""
        click.echo(interpolate_command(checkpoint, sources, references, domain, steps, seed, out))

    @stargan_v2.command(name="evaluate")
    @checkpoint_arg
    @click.option("--mode", type=click.Choice(["latent", "reference"]), required=True,
                  help="styles from random z (mapping network) or from reference images (style encoder)")
    @click.option("--val-set", "val_set", multiple=True, metavar="KEY=VALUE",
                  help="override of the run's data section giving the held-out sources and references "
                  "(repeatable; e.g. split=val, or seed=1 for the synthetic world)")
    @click.option("--real-set", "real_set", multiple=True, metavar="KEY=VALUE",
                  help="override for the real images FID compares with (default: the training data)")
    @click.option("--num-val", type=int, default=None, help="held-out images per domain (default: all)")
    @click.option("--num-real", type=int, default=None, help="real images per domain (default: all)")
    @click.option("--outputs", type=int, default=10, show_default=True, help="translations per source image")
    @click.option("--batch-size", type=int, default=32, show_default=True)
    @seed_opt
    @click.option("--fid-network", type=click.Choice(["inception", "synthetic"]), default="inception",
                  show_default=True, help="FID's feature network (synthetic: ganforge's, not comparable to papers)")
    @click.option("--fid-weights", default="hub", show_default=True, help="its weights: hub, a path, or none")
    @click.option("--lpips-weights", default="hub", show_default=True,
                  help="LPIPS's AlexNet: hub (torch hub cache), a path, or none")
    @click.option("--lpips-lin", default="lpips", show_default=True,
                  help="LPIPS's lin layers: lpips (shipped with the lpips package), a path, or none")
    @click.option("--json", "as_json", is_flag=True, help="print JSON")
    def evaluate_cmd(checkpoint, mode, val_set, real_set, num_val, num_real, outputs, batch_size, seed,
                     fid_network, fid_weights, lpips_weights, lpips_lin, as_json):
        """The paper's protocol: FID and LPIPS diversity of every source -> target domain task."""
        values = evaluate_command(checkpoint, mode, val_set, real_set, num_val, num_real, outputs, batch_size,
                                  seed, fid_network, fid_weights, lpips_weights, lpips_lin)
        if as_json:
            click.echo(json.dumps(values, indent=1))
        else:
            for key, value in values.items():
                click.echo(f"{key}\t{value:.4f}")

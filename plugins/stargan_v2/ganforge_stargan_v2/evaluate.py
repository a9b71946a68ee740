"""StarGAN v2's evaluation protocol (paper Sec. 4 "Evaluation metrics", the official
``metrics/eval.py``), with ganforge's metrics.

For every target domain y and every other source domain x (the task "x2y"), each
held-out source image of x is translated ``outputs`` (10) times into y:

* latent mode: with s = F_y(z), a fresh z for each output;
* reference mode: with s = E_y(x_ref), each output taking the next held-out images of y
  from a shuffled cycle through them, one reference per source image (the official loop
  draws the next batch of its reference loader).

FID of a task compares all its translations with the *training* images of y; LPIPS
diversity of a task is the mean LPIPS over the 45 pairs of each source's 10 outputs,
averaged over sources (the official code averages over batches of 32 sources first: the
same unless the last batch is smaller). Both are also averaged over the tasks (``mean``),
as the paper reports them. The feature networks are the core metrics' (``fid``,
``lpips_diversity``); the official FID uses torchvision's ImageNet Inception-v3 instead of
the FID Inception, so its numbers are not interchangeable with these.
"""

from __future__ import annotations

from typing import Any, Literal, Mapping, Sequence

import torch

import ganforge
from ganforge import Condition, Dataset

from .apps import Networks

Mode = Literal["latent", "reference"]


def images_by_domain(dataset: Dataset, num_domains: int, limit: int | None = None,
                     name: str = "data") -> dict[int, torch.Tensor]:
    """The dataset's images grouped by their ``domain`` (the first ``limit`` of each)."""
    groups: dict[int, list[torch.Tensor]] = {d: [] for d in range(num_domains)}
    for i in range(len(dataset)):
        item = dataset[i]
        if "domain" not in item:
            raise ganforge.DataError(f"{name}: samples have no 'domain' field (add it to data.fields)")
        group = groups.get(int(item["domain"]))
        if group is None:
            raise ganforge.DataError(f"{name}: sample {i} is of domain {int(item['domain'])}, but the model has "
                                     f"{num_domains} domains")
        if limit is None or len(group) < limit:
            group.append(item["image"])
        if limit is not None and all(len(g) >= limit for g in groups.values()):
            break
    empty = [d for d, g in groups.items() if not g]
    if empty:
        raise ganforge.DataError(f"{name}: no images of domain {empty[0]} among its {len(dataset)} samples")
    return {d: torch.stack(g) for d, g in groups.items()}


def protocol_images(data: Mapping[str, Any], val_set: Sequence[str], real_set: Sequence[str], num_domains: int,
                    num_val: int | None = None, num_real: int | None = None):
    """(held-out images, training images) per domain: the run's ``data`` with the
    ``val_set`` overrides (e.g. ``split=val``; ``seed=1`` for the synthetic world), and
    with the ``real_set`` ones (none: the training data itself)."""
    from ganforge.config import apply_overrides

    if not val_set:
        raise ganforge.ConfigError("--val-set: name the held-out images (e.g. split=val, or seed=1 for the "
                                   "synthetic world); the protocol does not translate training images")
    images = []
    for name, overrides, limit in (("val", val_set, num_val), ("real", real_set, num_real)):
        spec = apply_overrides(dict(data), overrides)
        dataset = ganforge.build("dataset", spec, path=f"{name} data")
        images.append(images_by_domain(dataset, num_domains, limit, f"{name} data ({spec.get('type')})"))
    return tuple(images)


class ReferenceStream:
    """References of one target domain: a shuffled cycle through its images, ``take(n)``
    returning the next n (a new permutation whenever one is used up)."""

    def __init__(self, images: torch.Tensor, generator: torch.Generator):
        self.images, self.generator = images, generator
        self.order = torch.empty(0, dtype=torch.long)

    def take(self, n: int) -> torch.Tensor:
        while self.order.numel() < n:
            self.order = torch.cat([self.order, torch.randperm(len(self.images), generator=self.generator)])
        picked, self.order = self.order[:n], self.order[n:]
        return self.images[picked]


def target_styles(nets: Networks, mode: Mode, domain: torch.Tensor, generator: torch.Generator,
                  references: ReferenceStream | None) -> torch.Tensor:
    """One style code per source image for target ``domain`` (B,)."""
    if mode == "latent":
        z = torch.randn(len(domain), nets.latent_dim, generator=generator)
        return nets.mapping(None, Condition(z=z, domain=domain))["style"]
    return nets.style_encoder(references.take(len(domain)), Condition(domain=domain))["style"]


@torch.no_grad()
def evaluate(nets: Networks, sources: Mapping[int, torch.Tensor], reals: Mapping[int, torch.Tensor], mode: Mode,
             fid: Any = "fid", diversity: Any = "lpips_diversity", outputs: int = 10, batch_size: int = 32,
             seed: int = 0) -> dict[str, float]:
    """``FID_<mode>/<x>to<y>``, ``LPIPS_<mode>/<x>to<y>`` for every task and their ``/mean``
    (the official keys, with domain indices for names). ``sources``: held-out images per domain (also
    the references); ``reals``: training images per domain; ``fid`` and ``diversity``:
    metric specs (e.g. ``{"type": "fid", "weights": "none"}``)."""
    if mode not in ("latent", "reference"):
        raise ganforge.ConfigError(f"mode {mode!r}: 'latent' or 'reference'")
    if len(sources) < 2:
        raise ganforge.ConfigError(f"the protocol translates between domains; the images hold {len(sources)}")
    if outputs < 2:
        raise ganforge.ConfigError(f"outputs {outputs}: LPIPS diversity needs at least 2 outputs per source")
    generator = torch.Generator().manual_seed(seed)
    fids, lpips = {}, {}
    for y in sorted(sources):
        references = ReferenceStream(sources[y], generator) if mode == "reference" else None
        for x in sorted(d for d in sources if d != y):
            task = f"{x}to{y}"
            fid_metric = ganforge.build("metric", fid, nets.data, path="fid")
            diversity_metric = ganforge.build("metric", diversity, nets.data, path="diversity")
            batches = sources[x].split(batch_size)
            real_chunks = torch.tensor_split(reals[y], len(batches))  # the real set, once, spread over the updates
            for source, real in zip(batches, real_chunks):
                domain = torch.full((len(source),), y, dtype=torch.long)
                fakes = [nets.generator(nets.condition(source, target_styles(nets, mode, domain, generator,
                                                                               references))).clamp(-1, 1)
                         for _ in range(outputs)]
                fid_metric.update(torch.cat(fakes), real=real if len(real) else None)
                diversity_metric.update(torch.stack(fakes, 1))
            fids[f"FID_{mode}/{task}"] = fid_metric.compute()["fid"]
            lpips[f"LPIPS_{mode}/{task}"] = diversity_metric.compute()["lpips_diversity"]
    out = {**fids, f"FID_{mode}/mean": sum(fids.values()) / len(fids),
           **lpips, f"LPIPS_{mode}/mean": sum(lpips.values()) / len(lpips)}
    return out

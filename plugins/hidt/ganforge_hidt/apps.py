"""The paper's applications (Sec. 4, Figs. 1, 5-7): style swap between images, styles
drawn from the prior N(0, I), and 4x high-resolution translation through the
enhancement scheme; plus training G_enh for a translation network, and loading networks
from a ganforge run / checkpoint or from the official release.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

import ganforge
from ganforge import Condition, DataInfo
from ganforge.config import Experiment
from ganforge.weights import load_checked, read_file, require_keys

from .enhancement import FACTOR, enhance, realign, shifted_subimages
from .generator import HiDTGenerator

KINDS = {"generator": "generator", "style_encoder": "encoder"}


@dataclass
class Networks:
    """A trained translation network: G (with E_c) and E_s, in eval mode, and G_enh built
    for 4x the network's resolution when the run keeps one (``models.enhancer``)."""

    generator: nn.Module
    style_encoder: nn.Module
    data: DataInfo
    enhancer: nn.Module | None = None
    config: Experiment | None = None  # the run's, when loaded from one (its data renders hi-res batches)

    @property
    def size(self) -> int:
        """The medium resolution the network translates at."""
        return self.data.resolution[0]

    @torch.no_grad()
    def style(self, images: torch.Tensor) -> torch.Tensor:
        return self.style_encoder(images, Condition())["style"]

    @torch.no_grad()
    def translate(self, source: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        """G(E_c(x), s) for each source and its row of ``style`` (one row broadcasts)."""
        style = style.expand(source.shape[0], -1)
        return self.generator.decode(self.generator.encode_content(source), Condition(style=style))[0]


def build_networks(models: dict, data: DataInfo) -> Networks:
    info = data.model_copy(update={"fields": frozenset(data.fields) | {"source", "style"}})
    return _networks({role: ganforge.build(kind, models[role], info, path=f"models.{role}", check=False).eval()
                      for role, kind in KINDS.items() if role in models}, data)


def _networks(built: dict[str, nn.Module], data: DataInfo) -> Networks:
    missing = sorted(set(KINDS) - set(built))
    if missing:
        raise ganforge.ConfigError(f"no models.{', models.'.join(missing)}: not a HiDT run")
    return Networks(built["generator"], built["style_encoder"], data)


def load_networks(path: str | os.PathLike) -> Networks:
    """Networks from a ganforge run folder (its latest checkpoint) or checkpoint
    (`ganforge.applications.open_app`; EMA weights when there are any), e.g. one written
    by ``ganforge import hidt`` from the official
    ``trained_models/generator/<daytime|wikiart>.pt``. The applications read image files:
    the run's dataset need not be on disk."""
    from ganforge.applications import open_app

    app = open_app(path, "hidt", "HiDT's applications need a HiDT generator (models.generator: hidt) and "
                   "models.style_encoder", generator=HiDTGenerator, roles=("style_encoder",))
    nets = Networks(app.generator, app.network("style_encoder"), app.info, config=app.config)
    if "enhancer" in app.restored.run.models:  # built for the run's size; G_enh is convolutional: rebuild it at 4x
        nets.enhancer = build_enhancer(FACTOR * nets.size, app.config.models["enhancer"].model_dump(mode="json"))
        load_checked(nets.enhancer, app.network("enhancer").state_dict(), f"{app.restored.checkpoint} models.enhancer")
    return nets


# -- inputs as the official StyleTransformer prepares them -------------------------------

RESIZE_BASE = 16  # the official hidt/utils/preprocessing.py RESIZE_BASE


def official_input(path: str | os.PathLike, inference_size: int, generator: torch.Generator) -> torch.Tensor:
    """(1, 3, H, W) in [-1, 1] as the official ``StyleTransformer`` reads an image
    (preprocess ``scale_load_shorter_side``, hidt/utils/preprocessing.py): the shorter side
    bicubically to ``inference_size`` (the longer ``int(long * size / short)``), then both
    sides bicubically to the nearest multiple of 16 (Python's ``round``), ToTensor, plus
    dequantisation noise U[0, 1/255), normalised to [-1, 1]. The aspect ratio is kept."""
    from ganforge.data.io import read_rgb

    img = read_rgb(Path(path))
    w, h = img.size
    if w > h:
        img = img.resize((int(w * (inference_size / h)), inference_size), Image.BICUBIC)
    else:
        img = img.resize((inference_size, int(h * (inference_size / w))), Image.BICUBIC)
    ow, oh = img.size
    size = (int(round(ow / RESIZE_BASE) * RESIZE_BASE), int(round(oh / RESIZE_BASE) * RESIZE_BASE))
    if size != (ow, oh):
        img = img.resize(size, Image.BICUBIC)
    x = torch.from_numpy(np.asarray(img, dtype=np.float32)).permute(2, 0, 1) / 255
    x = x + torch.rand(x.shape, generator=generator) / 255
    return (x * 2 - 1)[None]


# -- the applications -------------------------------------------------------------------

def swap_grid(nets: Networks, images: list[torch.Tensor]) -> list[torch.Tensor]:
    """The paper's swap figure: row i, column j holds the content of image i in the style
    of image j (the diagonal: reconstructions). ``images`` are (1, 3, H_i, W_i), each at its
    own size; returns one (N, 3, H_i, W_i) row per image."""
    styles = torch.cat([nets.style(x) for x in images])
    return [nets.translate(x.expand(len(images), -1, -1, -1), styles) for x in images]


def random_styles(nets: Networks, images: torch.Tensor, count: int, generator: torch.Generator) -> torch.Tensor:
    """Each image in ``count`` styles s ~ N(0, I), the prior L_dist keeps E_s's codes in:
    (N, count, 3, H, W)."""
    style_dim = nets.generator.params.style_dim
    codes = torch.randn(count, style_dim, generator=generator)
    return torch.stack([nets.translate(images, s[None]) for s in codes], dim=1)


def synthetic_swap_scores(nets: Networks, data_spec: dict, samples: int = 64) -> dict[str, float]:
    """Style swap against the synthetic world's ground truth: source i in the style of
    reference i + 1 (taken when their looks differ) is compared with scene i rendered in
    the reference's look. Returns PSNR / SSIM of the swaps and of the untouched sources
    (the baseline a translator must beat), on 8-bit images."""
    if data_spec.get("type") != "synthetic":
        raise ganforge.ConfigError(f"swap-eval needs the synthetic world's ground truth, the run's data is "
                                   f"{data_spec.get('type')!r}")
    spec = {**data_spec, "fields": ["domain"]}
    world = ganforge.build("dataset", spec)
    looks = {}
    sources, references, targets = [], [], []
    for i in range(min(samples + 1, len(world)) - 1):
        src, ref = world[i], world[i + 1]
        if int(src["domain"]) == int(ref["domain"]):
            continue
        look = int(ref["domain"])
        if look not in looks:
            looks[look] = ganforge.build("dataset", {**spec, "domain": look})
        sources.append(src["image"])
        references.append(ref["image"])
        targets.append(looks[look][i]["image"])
    if not sources:
        raise ganforge.DataError("no sample pairs with different looks; raise --samples")
    x, r, t = torch.stack(sources), torch.stack(references), torch.stack(targets)
    fake = torch.cat([nets.translate(x[k:k + 16], nets.style(r[k:k + 16])) for k in range(0, len(x), 16)])
    out = {"pairs": float(len(x))}
    for name in ("psnr", "ssim"):
        for label, images in (("swap", fake), ("source", x)):
            metric = ganforge.build("metric", name, nets.data, check=False)
            metric.update(images, real=t)
            out[f"{label}_{name}"] = next(iter(metric.compute().values()))
    return out


def enhance_4x(nets: Networks, enhancer: nn.Module, images: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """High-resolution translation: (B, 3, H, W) at any size -> (B, 3, 4 S, 4 S) in
    ``style`` (S = the network's resolution, 4 S the enhancer's), through the enhancement scheme."""
    with torch.no_grad():
        return enhance(lambda subs: nets.translate(subs, style), images, enhancer, nets.size)


def enhancer_loss(nets: Networks, enhancer: nn.Module, hires: torch.Tensor) -> torch.Tensor:
    """G_enh's training objective for a frozen translator: the 4S image is split into
    sub-images, each *reconstructed* with its own style, and G_enh must give back the
    original (paper Sec. 3.3; L1 here, see the README)."""
    subs = shifted_subimages(hires, nets.size)
    with torch.no_grad():
        styles = nets.style(subs)
        translated = nets.generator.decode(nets.generator.encode_content(subs), Condition(style=styles))[0]
    out = enhancer(Condition(subimages=realign(translated)))
    return F.l1_loss(out, F.interpolate(hires, size=out.shape[-2:], mode="bilinear", align_corners=False,
                                        antialias=True))


def train_enhancer(nets: Networks, enhancer: nn.Module, batches: Iterable[torch.Tensor], steps: int,
                   lr: float = 1e-4) -> Iterator[float]:
    """Adam steps on `enhancer_loss`; yields each step's loss."""
    opt = torch.optim.Adam(enhancer.parameters(), lr=lr, betas=(0.9, 0.999))
    enhancer.train()
    for _, hires in zip(range(steps), batches):
        loss = enhancer_loss(nets, enhancer, hires)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        yield loss.item()
    enhancer.eval()


def build_enhancer(output_size: int, spec: dict | None = None, weights: str | os.PathLike | None = None
                   ) -> nn.Module:
    """G_enh producing ``output_size`` (= 4 S) images, from ``spec`` (default params), with
    weights from a file saved by ``ganforge hidt train-enhancer`` (the released
    ``enhancer.pth`` goes into a run by ``ganforge import hidt``)."""
    data = DataInfo(fields=frozenset({"subimages"}), resolution=(output_size, output_size))
    enhancer = ganforge.build("generator", spec or {"type": "hidt_enhancer"}, data).eval()
    if weights is not None:
        path = Path(weights)
        saved = read_file(path, "an enhancer file", "write one with `ganforge hidt train-enhancer`, or import the "
                          "released enhancer.pth with `ganforge import hidt`")
        require_keys(saved, ("spec", "state"), str(path), "an enhancer file of `ganforge hidt train-enhancer`")
        enhancer = ganforge.build("generator", saved["spec"], data, path=f"{path} spec").eval()
        load_checked(enhancer, saved["state"], str(path))
    return enhancer


def hires_batches(config: dict, size: int, batch_size: int, seed: int = 0) -> Iterator[torch.Tensor]:
    """Endless (B, 3, 4 size, 4 size) batches of a run's dataset rendered at 4x its
    resolution (datasets with a ``resolution`` param: the synthetic world)."""
    spec = dict(config["data"])
    if "resolution" not in type(ganforge.resolve("dataset", spec)[1]).model_fields:
        raise ganforge.ConfigError(f"dataset {spec.get('type')!r} has no 'resolution' to render at 4x; "
                                   "give --folder with high-resolution images instead")
    dataset = ganforge.build("dataset", {**spec, "resolution": FACTOR * size, "seed": seed})
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True,
                                         generator=torch.Generator().manual_seed(seed))
    while True:
        for item in loader:
            yield item["image"]


def folder_batches(paths: list[Path], size: int, batch_size: int, seed: int = 0) -> Iterator[torch.Tensor]:
    """Endless random batches of image files resized to 4 size x 4 size."""
    from ganforge.data.io import load_images

    if len(paths) < batch_size:
        raise ganforge.DataError(f"{len(paths)} images for batches of {batch_size}")
    images = load_images(paths, (FACTOR * size, FACTOR * size))
    g = torch.Generator().manual_seed(seed)
    while True:
        yield images[torch.randperm(len(images), generator=g)[:batch_size]]


__all__ = ["Networks", "load_networks", "swap_grid", "random_styles", "synthetic_swap_scores", "enhance_4x",
           "enhancer_loss", "train_enhancer", "build_enhancer", "hires_batches", "folder_batches", "FACTOR"]

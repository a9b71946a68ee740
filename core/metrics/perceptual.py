"""LPIPS (Zhang et al., CVPR 2018) and StarGAN v2's LPIPS diversity.

LPIPS compares unit-normalised activations of five layers of an ImageNet network
(AlexNet by default, or VGG-16), weights each channel's squared difference with a
learned 1x1 convolution ("lin" layers, calibrated on human judgements), averages over
space and sums over layers. Version 0.1: inputs in [-1, 1] are first shifted and scaled
by the ScalingLayer constants below.

Weights, both offline: the backbone from torchvision's checkpoint file (in the torch hub
cache, where torchvision would have saved it, or a path); the lin layers from the
``lpips`` package, which ships them (``lpips/weights/v0.1/<net>.pth``), or a path.
Parameter names equal the ``lpips`` package's (``lin0.model.1.weight`` ...).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal

import torch
import torch.nn.functional as F
import torchvision
from pydantic import Field
from torch import nn

from ganforge.condition import Condition
from ganforge.errors import ConfigError
from ganforge.interfaces import DataInfo, Metric, Params

from .distributed import all_reduce_sum
from ganforge.weights import MissingWeights, WeightsFile, load_state_dict, random_init_, resolve_weights

Backbone = Literal["alex", "vgg"]
# torchvision's feature-layer index ranges, one slice per compared layer (conv + ReLU outputs)
SLICES = {"alex": ((0, 2), (2, 5), (5, 8), (8, 10), (10, 12)),
          "vgg": ((0, 4), (4, 9), (9, 16), (16, 23), (23, 30))}
CHANNELS = {"alex": (64, 192, 384, 256, 256), "vgg": (64, 128, 256, 512, 512)}
BACKBONES = {"alex": (torchvision.models.alexnet, torchvision.models.AlexNet_Weights.IMAGENET1K_V1),
             "vgg": (torchvision.models.vgg16, torchvision.models.VGG16_Weights.IMAGENET1K_V1)}
LIN_URL = "https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1"
#: the lpips package's own v0.1 heads, hashed from lpips 0.1.4's files
LIN_SHA256 = {"alex": ("df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0", 6009),
              "vgg": ("a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868", 7289)}
BACKBONE_FILES = {"alex": "alexnet_imagenet", "vgg": "vgg16_imagenet"}
WEIGHTS_FILES = (
    *(WeightsFile.hub(BACKBONE_FILES[net], tv.url, f"metric lpips / lpips_diversity (net: {net})")
      for net, (_, tv) in BACKBONES.items()),
    *(WeightsFile(f"lpips_lin_{net}", f"{LIN_URL}/{net}.pth", f"metric lpips (net: {net}, lin_weights: hub)",
                  sha256=sha, size=size) for net, (sha, size) in LIN_SHA256.items()),
)
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)


def _lin_weights_path(spec: str, net: Backbone) -> Path | None:
    """``"lpips"``: the file the lpips package ships; else a path, or ``"none"`` / ``"ones"``
    (no file)."""
    if spec in ("none", "ones"):
        return None
    if spec != "lpips":
        return resolve_weights(spec, f"{LIN_URL}/{net}.pth", f"LPIPS lin layers ({net})", f"lpips_lin_{net}")
    found = importlib.util.find_spec("lpips")
    if found is None or found.origin is None:
        raise MissingWeights("LPIPS lin layers: `lin_weights: lpips` reads them from the lpips package, which is "
                             "not installed; `pip install lpips` or set `lin_weights` to the path of "
                             f"lpips/weights/v0.1/{net}.pth")
    return Path(found.origin).parent / "weights" / "v0.1" / f"{net}.pth"


class LinearHead(nn.Module):
    """w_l of the paper's eq. 1: a non-negative 1x1 conv weighting each channel's squared
    difference (``model`` holds the dropout of training, a no-op at evaluation)."""

    def __init__(self, channels: int):
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(channels, 1, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class LPIPSNetwork(nn.Module):
    """``forward(x0, x1, spatial=False)``: per-image distance (B,), or with ``spatial`` a
    (B, 1, H, W) map (each layer's map upsampled bilinearly to the input, as the lpips
    package does) — what SMIS's mCSD / mOCD average over a class mask."""

    def __init__(self, net: Backbone = "alex", backbone_weights: str = "hub", lin_weights: str = "lpips"):
        super().__init__()
        build, tv_weights = BACKBONES[net]
        with torch.device("meta"):  # no time spent initialising weights about to be replaced
            trunk = build(weights=None).features
        trunk = trunk.to_empty(device="cpu")
        path = resolve_weights(backbone_weights, tv_weights.url, f"LPIPS backbone ({net})",
                               BACKBONE_FILES[net])
        if path is None:
            random_init_(trunk)
        else:
            self._load_trunk(trunk, path, net)
        self.slices = nn.ModuleList(nn.Sequential(*trunk[a:b]) for a, b in SLICES[net])
        for i, c in enumerate(CHANNELS[net]):
            self.add_module(f"lin{i}", LinearHead(c))
        lin_path = _lin_weights_path(lin_weights, net)
        if lin_path is not None:
            self.load_lin(lin_path)
        elif lin_weights == "ones":  # every channel weighted alike: a distance >= 0 without trained heads
            for i in range(len(CHANNELS[net])):
                nn.init.ones_(getattr(self, f"lin{i}").model[1].weight)
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1))
        self.eval().requires_grad_(False)

    @staticmethod
    def _load_trunk(trunk: nn.Module, path: Path, net: str) -> None:
        """The ``features.*`` entries of a torchvision checkpoint (the classifier is unused)."""
        state = {k[len("features."):]: v for k, v in load_state_dict(path, f"LPIPS backbone ({net})").items()
                 if k.startswith("features.")}
        try:
            trunk.load_state_dict(state)
        except RuntimeError as exc:
            raise ConfigError(f"LPIPS backbone ({net}): {str(path)!r} is not torchvision's {net} checkpoint: "
                              f"{exc}") from None

    def load_lin(self, path: Path) -> None:
        state = load_state_dict(path, "LPIPS lin layers")
        lins = {k: v for k, v in self.state_dict().items() if k.startswith("lin")}
        if set(state) != set(lins) or any(state[k].shape != lins[k].shape for k in lins):
            raise ConfigError(f"LPIPS lin layers: {str(path)!r} holds {sorted(state)[:5]}, expected "
                              f"{sorted(lins)} with shapes {[tuple(v.shape) for v in lins.values()]}")
        self.load_state_dict(state, strict=False)

    def layers(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Unit-normalised (over channels) activations of the five compared layers."""
        h, out = (x - self.shift) / self.scale, []
        for block in self.slices:
            h = block(h)
            out.append(h / (h.pow(2).sum(1, keepdim=True).sqrt() + 1e-10))
        return out

    def distance(self, feats0: list[torch.Tensor], feats1: list[torch.Tensor],
                 size: tuple[int, int] | None = None) -> torch.Tensor:
        """LPIPS from `layers` outputs: (B,), or the (B, 1, *size) map when ``size`` is given."""
        total = 0
        for i, (f0, f1) in enumerate(zip(feats0, feats1)):
            d = getattr(self, f"lin{i}")((f0 - f1) ** 2)
            total = total + (F.interpolate(d, size=size, mode="bilinear", align_corners=False)
                             if size is not None else d.mean((2, 3), keepdim=True))
        return total if size is not None else total.flatten()

    def forward(self, x0: torch.Tensor, x1: torch.Tensor, spatial: bool = False) -> torch.Tensor:
        return self.distance(self.layers(x0), self.layers(x1), tuple(x0.shape[-2:]) if spatial else None)


class LPIPSParams(Params):
    net: Backbone = Field("alex", description="backbone: alex (LPIPS's default) or vgg")
    backbone_weights: str = Field("hub", description="torchvision ImageNet checkpoint: 'hub' (torch hub cache: "
                                  "alexnet-owt-7be5be79.pth / vgg16-397923af.pth), a path, or 'none' (tests)")
    lin_weights: str = Field("lpips", description="v0.1 lin layers: 'lpips' (shipped in the lpips package), a path, "
                             "'ones' (every channel weighted 1: non-negative, for offline backbones) or "
                             "'none' (random, tests)")


class _LPIPSMetric(Metric):
    Params = LPIPSParams
    name = ""

    def __init__(self, params: LPIPSParams, data: DataInfo):
        super().__init__(params, data)
        self.lpips = LPIPSNetwork(params.net, params.backbone_weights, params.lin_weights)
        self.reset()

    def reset(self) -> None:
        self.total = torch.zeros((), dtype=torch.float64)
        self.count = torch.zeros((), dtype=torch.float64)

    def add(self, values: torch.Tensor) -> None:
        self.total += values.double().sum().cpu()
        self.count += values.numel()

    def compute(self) -> dict[str, float]:
        total, count = all_reduce_sum(self.total, self.count)
        if count == 0:
            raise ValueError(f"metric {self.name!r}: no images were given to update()")
        return {self.name: float(total / count)}


class LPIPS(_LPIPSMetric):
    """Mean LPIPS between each generated image and its ground truth (lower is closer)."""

    name = "lpips"

    @torch.no_grad()
    def update(self, fake: torch.Tensor, real: torch.Tensor | None = None, cond: Condition | None = None) -> None:
        if real is None or real.shape != fake.shape:
            raise ValueError(f"metric 'lpips' compares each output with its ground truth: pass `real` of shape "
                             f"{tuple(fake.shape)}, got {None if real is None else tuple(real.shape)}")
        self.add(self.lpips(fake, real))


class LPIPSDiversity(_LPIPSMetric):
    """StarGAN v2's diversity: ``fake`` is (B, K, C, H, W), K outputs for each of B inputs
    (different z or references); the score is the mean LPIPS over the K (K - 1) / 2 pairs
    of each input's outputs, averaged over inputs (higher is more diverse)."""

    name = "lpips_diversity"

    @torch.no_grad()
    def update(self, fake: torch.Tensor, real: torch.Tensor | None = None, cond: Condition | None = None) -> None:
        if fake.ndim != 5 or fake.shape[1] < 2:
            raise ValueError(f"metric 'lpips_diversity' needs fake of shape (B, K >= 2, C, H, W): K outputs per "
                             f"input; got {tuple(fake.shape)}")
        k = fake.shape[1]
        feats = [self.lpips.layers(fake[:, a]) for a in range(k)]  # each output through the network once
        pairs = [self.lpips.distance(feats[a], feats[b]) for a in range(k) for b in range(a + 1, k)]
        self.add(torch.stack(pairs, 1).mean(1))

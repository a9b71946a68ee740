"""Face masks for the CelebA-HQ generator: the FAN landmark network and its heatmaps.

StarGAN v2 keeps a face's identity on CelebA-HQ by passing masked, high-pass filtered
encoder features to the decoder (``generator.w_hpf``). The masks come from a pretrained
face alignment network (FAN: a CoordConv stem, one hourglass; Wang et al.'s Adaptive Wing
Loss model, released by the StarGAN v2 authors as ``wing.ckpt``): its 98 landmark
heatmaps are cleaned, reshaped per face part and summed into two masks, the whole face
(used at 1/8 of the image size) and the face without jaw line, eyebrows and mouth (1/4
and 1/2).

Module names follow the released checkpoint's layout (``conv1.conv``, ``m0.b1_4`` ...),
so ``wing.ckpt`` loads without renaming. The network is frozen: never trained, always in
eval mode.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo
from ganforge.weights import MissingWeights, WeightsFile, fetch_hint, loading_weights, read_file

NUM_LANDMARKS = 98
FAN_SIZE = 256  # FAN sees every face at 256x256; its heatmaps are 64x64


class CoordConv(nn.Module):
    """Conv over the input with coordinate channels appended: row and column positions in
    [-1, 1] and the normalised radius (Liu et al. 2018). The coordinates are a fixed grid
    of the size the layer was built for."""

    def __init__(self, size: int, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0):
        super().__init__()
        rows = torch.linspace(-1, 1, size)[:, None].expand(size, size)
        cols = torch.linspace(-1, 1, size)[None, :].expand(size, size)
        radius = torch.sqrt(rows ** 2 + cols ** 2)
        self.register_buffer("coords", torch.stack([rows, cols, radius / radius.max()])[None], persistent=False)
        self.conv = nn.Conv2d(in_channels + 3, out_channels, kernel_size, stride, padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(torch.cat([x, self.coords.to(x.dtype).expand(x.shape[0], -1, -1, -1)], dim=1))


class ConvBlock(nn.Module):
    """FAN's bottleneck: three pre-activation (BN, ReLU) 3x3 convs giving C/2, C/4, C/4
    channels, concatenated, plus a (projected) shortcut."""

    def __init__(self, in_planes: int, out_planes: int):
        super().__init__()
        half, quarter = out_planes // 2, out_planes // 4
        self.bn1, self.conv1 = nn.BatchNorm2d(in_planes), nn.Conv2d(in_planes, half, 3, 1, 1, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(half), nn.Conv2d(half, quarter, 3, 1, 1, bias=False)
        self.bn3, self.conv3 = nn.BatchNorm2d(quarter), nn.Conv2d(quarter, quarter, 3, 1, 1, bias=False)
        self.downsample = None
        if in_planes != out_planes:
            self.downsample = nn.Sequential(nn.BatchNorm2d(in_planes), nn.ReLU(True),
                                            nn.Conv2d(in_planes, out_planes, 1, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out1 = self.conv1(F.relu(self.bn1(x)))
        out2 = self.conv2(F.relu(self.bn2(out1)))
        out3 = self.conv3(F.relu(self.bn3(out2)))
        residual = self.downsample(x) if self.downsample is not None else x
        return torch.cat([out1, out2, out3], dim=1) + residual


class HourGlass(nn.Module):
    """A CoordConv, then a 4-level hourglass of ConvBlocks (256 channels): each level
    keeps a full-resolution branch and recurses on the average-pooled input."""

    def __init__(self, depth: int = 4, features: int = 256):
        super().__init__()
        self.depth = depth
        self.coordconv = CoordConv(64, features, features, 1)
        for level in range(depth, 0, -1):
            self.add_module(f"b1_{level}", ConvBlock(features, features))
            self.add_module(f"b2_{level}", ConvBlock(features, features))
            self.add_module(f"b3_{level}", ConvBlock(features, features))
        self.add_module("b2_plus_1", ConvBlock(features, features))

    def level(self, n: int, x: torch.Tensor) -> torch.Tensor:
        up = self._modules[f"b1_{n}"](x)
        low = self._modules[f"b2_{n}"](F.avg_pool2d(x, 2))
        low = self.level(n - 1, low) if n > 1 else self._modules["b2_plus_1"](low)
        low = self._modules[f"b3_{n}"](low)
        return up + F.interpolate(low, scale_factor=2, mode="nearest")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.level(self.depth, self.coordconv(x))


class FAN(nn.Module):
    """Face alignment network: (B, 3, 256, 256) in [0, 1] -> (B, 99, 64, 64) heatmaps
    (98 landmarks and a boundary map)."""

    def __init__(self):
        super().__init__()
        self.conv1 = CoordConv(FAN_SIZE, 3, 64, 7, 2, 3)
        self.bn1 = nn.BatchNorm2d(64)
        self.conv2 = ConvBlock(64, 128)
        self.conv3 = ConvBlock(128, 128)
        self.conv4 = ConvBlock(128, 256)
        self.m0 = HourGlass()
        self.top_m_0 = ConvBlock(256, 256)
        self.conv_last0 = nn.Conv2d(256, 256, 1, 1, 0)
        self.bn_end0 = nn.BatchNorm2d(256)
        self.l0 = nn.Conv2d(256, NUM_LANDMARKS + 1, 1, 1, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.conv4(self.conv3(F.avg_pool2d(self.conv2(x), 2)))
        x = self.top_m_0(self.m0(x))
        return self.l0(F.relu(self.bn_end0(self.conv_last0(x))))


# -- heatmaps -> masks ------------------------------------------------------------------
# landmark index ranges [start, end) of the 98-point (WFLW) layout
CHIN, EYEBROWS, NOSE, NOSTRILS, EYES = (8, 25), (33, 51), (51, 55), (55, 60), (60, 76)
LIP_EDGES, LIP_UPPER, LIP_LOWER, LIP_INNER = (76, 82), (77, 82), (83, 88), (88, 96)
# (part, vertical shift in pixels at 256 px (up > 0), exponent that thins the blob)
PART_SHAPING = ((CHIN, 0, 3), (EYEBROWS, -7, 2), (NOSTRILS, 8, 4), (LIP_UPPER, -8, 4), (LIP_LOWER, 8, 4),
                (LIP_INNER, -2, 3))
DROPPED = [*range(0, CHIN[0]), *range(CHIN[1], 33), 33, 46, 76, 82]  # jaw ends, eyebrow and lip corners


def shift_up(x: torch.Tensor, pixels: int) -> torch.Tensor:
    """Move (B, C, H, W) maps up by ``pixels`` rows (down when negative), wrapping around."""
    return torch.roll(x, -pixels, dims=2)


def heatmaps_to_masks(heatmaps: torch.Tensor) -> torch.Tensor:
    """(B, 98, H, W) landmark heatmaps -> (B, 2, H, W) masks in [0, 1]: the whole face,
    and the face without jaw line, eyebrows and mouth. Faint responses (< 0.1) are
    dropped, each map is min-max normalised, face parts are shifted and sharpened as the
    official preprocessing does, then the maps are summed."""
    b, c, h, w = heatmaps.shape
    x = torch.where(heatmaps < 0.1, torch.zeros_like(heatmaps), heatmaps)
    flat = x.reshape(b, c, -1)
    low, high = flat.min(-1, keepdim=True).values, flat.max(-1, keepdim=True).values
    x = ((flat - low) / (high - low + 1e-6)).reshape(b, c, h, w)
    scale = h // FAN_SIZE
    for (start, end), shift, power in PART_SHAPING:
        x[:, start:end] = shift_up(x[:, start:end], shift * scale) ** power
    x[:, DROPPED] = 0
    x[:, NOSE[0] + 1:NOSE[1]] = shift_up(x[:, NOSE[0] + 1:NOSE[1]], 4 * scale)
    eyes = x[:, EYES[0]:EYES[1]]
    x[:, EYES[0]:EYES[1]] = shift_up(eyes, -8) ** 3 + shift_up(eyes, -24)
    inner = x.clone()
    for start, end in (CHIN, (LIP_EDGES[0], LIP_INNER[1]), EYEBROWS):
        inner[:, start:end] = 0
    masks = torch.cat([x.sum(1, keepdim=True), inner.sum(1, keepdim=True)], dim=1)
    return torch.nan_to_num(masks, nan=0.0).clamp(0, 1)


#: clovaai/stargan-v2's download.sh URL (dl=1: the file, not Dropbox's page); no published sha256
WING_FILE = WeightsFile("stargan_v2_wing", "https://www.dropbox.com/s/tjxpypwpt38926e/wing.ckpt?dl=1",
                        "encoder stargan_v2_fan (face masks of CelebA-HQ)")


class FANParams(ganforge.Params):
    weights: str = Field("hub", description="the released wing.ckpt: a file path, 'hub' for "
                         "<torch hub dir>/checkpoints/wing.ckpt, or 'none' for random weights (tests only)")


def wing_path(weights: str) -> Path:
    if weights == "hub":
        return Path(torch.hub.get_dir()) / "checkpoints" / "wing.ckpt"
    return Path(os.path.expanduser(weights))


def load_wing(fan: FAN, weights: str) -> None:
    """Load the released FAN weights (``{'state_dict': ...}``; keys of other layers are
    ignored, as the official loader does). A missing file is an error saying where it goes."""
    path = wing_path(weights)
    if not path.is_file():
        raise MissingWeights(
            f"encoder 'stargan_v2_fan': no FAN weights at {path}. Download wing.ckpt (clovaai/stargan-v2: "
            f"`bash download.sh wing`) and put it there, or set weights: /path/to/wing.ckpt."
            + fetch_hint(WING_FILE.name, weights == "hub"))
    state = read_file(path, "FAN (wing) weights", "wing.ckpt from clovaai/stargan-v2's `bash download.sh wing`")
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    own = fan.state_dict()
    missing = [k for k in own if k not in state]
    if missing:
        raise ganforge.DataError(f"{path}: not a FAN (wing) checkpoint; it lacks {missing[:4]} ...")
    fan.load_state_dict({k: state[k] for k in own})


class FaceMaskEncoder(ganforge.Encoder):
    """StarGAN v2's face masks (field 'face_mask') from FAN landmark heatmaps; frozen."""

    Params: ClassVar = FANParams
    provides = frozenset({"face_mask"})

    def __init__(self, params: FANParams, data: DataInfo):
        super().__init__(params, data)
        self.fan = FAN()
        if params.weights != "none" and loading_weights():
            load_wing(self.fan, params.weights)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> "FaceMaskEncoder":
        """A pretrained network with batch norm: always in eval mode."""
        return super().train(False)

    @torch.no_grad()
    def forward(self, image: torch.Tensor, cond: Condition) -> dict[str, torch.Tensor]:
        """Masks of ``image`` (B, 3, H, W) in [-1, 1], at the image's resolution."""
        x = F.interpolate(image.float(), size=(FAN_SIZE, FAN_SIZE), mode="bilinear", align_corners=False)
        heatmaps = self.fan(x * 0.5 + 0.5)[:, :-1]
        heatmaps = F.interpolate(heatmaps, size=(FAN_SIZE, FAN_SIZE), mode="bilinear", align_corners=True)
        masks = heatmaps_to_masks(heatmaps)
        if masks.shape[-2:] != image.shape[-2:]:
            masks = F.interpolate(masks, size=image.shape[-2:], mode="bilinear", align_corners=False)
        return {"face_mask": masks.to(image.dtype)}

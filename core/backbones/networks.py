"""The two offline backbones and the input convention they share.

Both are small on purpose: they are trained on a CPU in minutes by `ganforge backbones
train`, and they only have to understand the synthetic world (nine classes, four looks,
one to six shapes per scene), not ImageNet.

* `SegmenterNet`: an encoder-decoder (three stride-2 stages to 1/8, a decoder that
  upsamples and fuses the skip at each scale, a 1x1 fusion with full-resolution features)
  predicting per-pixel logits of the world's classes.
* `FeatureNet`: a plain stride-2 CNN, global average pooled into ``feature_dim`` features
  (the "penultimate" features FID and KID read), with one linear head per property of a
  scene it is trained to recognise: the global look (domain), the main object's shape,
  the number of visible objects, and which classes are present.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.data.synthetic import DOMAINS, STUFF, THINGS
from ganforge.metrics.images import to_uint8

MAX_OBJECTS = 6  # the world's default max_objects
#: the feature network's heads: name -> number of outputs (look, main shape, visible
#: objects 1..6, presence of each class)
HEADS = {"domain": len(DOMAINS), "shape": len(THINGS), "count": MAX_OBJECTS, "presence": len(STUFF) + len(THINGS)}
INPUT_CONVENTION = "uint8_bilinear_antialias"


def backbone_input(images: torch.Tensor, height: int) -> torch.Tensor:
    """Images in [-1, 1] (or uint8) -> the backbones' input: rounded to 8 bits as a saved
    PNG would be (the training images went through the same rounding), resized to
    ``height`` rows with the width scaled alike (antialiased bilinear; no resize at the
    training height), then mapped to [-1, 1] by ``x / 127.5 - 1``.

    The height sets the scale because the synthetic camera's focal length is fixed by it:
    a 128 x 256 render shows objects at the same pixel size as a 128 x 128 one.
    """
    x = to_uint8(images).float()
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"expected RGB images of shape (B, 3, H, W), got {tuple(x.shape)}")
    h, w = x.shape[-2:]
    if h != height:
        size = (height, max(1, round(w * height / h)))
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)
    return x / 127.5 - 1


def conv_bn_relu(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SegmenterNet(nn.Module):
    """``forward(x) -> (B, num_classes, H, W)`` logits for backbone inputs ``x``.

    Stages at 1, 1/2, 1/4 and 1/8 of the input; the decoder upsamples bilinearly and
    fuses each skip with one 3x3 convolution (1x1 at full resolution, where it only
    sharpens boundaries), so most of the cost sits at low resolution.
    """

    def __init__(self, num_classes: int = len(STUFF) + len(THINGS), width: int = 12, resolution: int = 64):
        super().__init__()
        self.arch = {"num_classes": num_classes, "width": width, "resolution": resolution}  # rebuilds it
        self.resolution = resolution  # the training height: `backbone_input` resizes to it
        w = width
        self.stem = conv_bn_relu(3, w)
        self.down1 = conv_bn_relu(w, 2 * w, stride=2)
        self.down2 = nn.Sequential(conv_bn_relu(2 * w, 4 * w, stride=2), conv_bn_relu(4 * w, 4 * w))
        # dilation widens the context at 1/8 (where a shape and the horizon meet) for free
        self.down3 = nn.Sequential(conv_bn_relu(4 * w, 4 * w, stride=2), conv_bn_relu(4 * w, 4 * w, dilation=2))
        self.up2 = conv_bn_relu(8 * w, 2 * w)
        self.up1 = conv_bn_relu(4 * w, w)
        self.fuse = nn.Sequential(nn.Conv2d(2 * w, w, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True))
        self.head = nn.Conv2d(w, num_classes, 1)

    @staticmethod
    def _up_cat(x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return torch.cat([x, skip], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = self.stem(x)
        s1 = self.down1(s0)
        s2 = self.down2(s1)
        s3 = self.down3(s2)
        y = self.up2(self._up_cat(s3, s2))
        y = self.up1(self._up_cat(y, s1))
        return self.head(self.fuse(self._up_cat(y, s0)))


class FeatureNet(nn.Module):
    """``forward(x) -> {"pool": (B, feature_dim), <head>: logits}`` for backbone inputs.

    ``pool`` is the ReLU'd, globally averaged last stage, the input of every head: the
    analogue of Inception's 2048-d pool features. Each head is linear, so what the heads
    need must be linearly readable from ``pool``.
    """

    def __init__(self, width: int = 16, feature_dim: int = 128, resolution: int = 64):
        super().__init__()
        self.arch = {"width": width, "feature_dim": feature_dim, "resolution": resolution}  # rebuilds it
        self.resolution = resolution  # the training height: `backbone_input` resizes to it
        w = width
        self.features = nn.Sequential(
            conv_bn_relu(3, w, stride=2),
            conv_bn_relu(w, 2 * w, stride=2), conv_bn_relu(2 * w, 2 * w),
            conv_bn_relu(2 * w, 4 * w, stride=2), conv_bn_relu(4 * w, 4 * w),
            conv_bn_relu(4 * w, feature_dim, stride=2), conv_bn_relu(feature_dim, feature_dim),
        )
        self.heads = nn.ModuleDict({name: nn.Linear(feature_dim, n) for name, n in HEADS.items()})

    @property
    def feature_dim(self) -> int:
        return self.heads["shape"].in_features

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        pool = torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1)
        return {"pool": pool, **{name: head(pool) for name, head in self.heads.items()}}

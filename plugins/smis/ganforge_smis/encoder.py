"""GroupDNet's encoder (Zhu et al. 2020, Sec. 3.2, Fig. 2 left): one Gaussian per class.

The image is split by the label map into K class-wise images: each class's pixels (all
others zeroed), cropped to the class's bounding box and resized (nearest) back to the
image size, so small classes fill the encoder's view as large ones do. The K crops are
stacked along channels (3K) and go through strided group convs with K groups: class k's
code is computed from class k's crop only. The last layer predicts mean and log-variance
of ``code_channels`` maps per class; the code is a sample of it (reparameterisation) and
the recipe's KL term keeps the posterior near N(0, I), so codes can be drawn from the
prior at test time, class by class.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo
from ganforge_spade.layers import InitParams, NormType, param_free_norm

from . import codes
from .layers import group_conv


def class_crops(image: torch.Tensor, label: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(B, 3K, H, W): for each class, the image inside its mask, cropped to the mask's
    bounding box and resized to (H, W) with nearest neighbours; zeros for absent classes.

    Vectorised: the nearest resize of a crop is an index map r0 + floor(i * h_crop / H),
    so every class of every image is one gather.
    """
    b, c, h, w = image.shape
    masks = Condition(label=label).resized((h, w)).onehot(num_classes).bool()  # (B, K, H, W)
    rows, cols = masks.any(3), masks.any(2)  # (B, K, H), (B, K, W)

    def index_map(hit: torch.Tensor, size: int) -> torch.Tensor:
        first = hit.int().argmax(-1)
        last = size - 1 - hit.flip(-1).int().argmax(-1)
        extent = (last - first + 1).unsqueeze(-1)  # an absent class spans everything: its mask is empty anyway
        return first.unsqueeze(-1) + torch.arange(size, device=hit.device) * extent // size

    iy = index_map(rows, h)[..., :, None]  # (B, K, H, 1)
    ix = index_map(cols, w)[..., None, :]  # (B, K, 1, W)
    bi = torch.arange(b, device=image.device).view(b, 1, 1, 1)
    ki = torch.arange(num_classes, device=image.device).view(1, -1, 1, 1)
    pixels = image.permute(0, 2, 3, 1)[bi, iy, ix]  # (B, K, H, W, C)
    inside = masks[bi, ki, iy, ix].unsqueeze(-1).to(image.dtype)
    return (pixels * inside).permute(0, 1, 4, 2, 3).reshape(b, num_classes * c, h, w)


class GroupConvUnit(nn.Module):
    """group conv -> parameter-free norm -> LeakyReLU(0.2) (norm_E 'spectralinstance';
    a normalised conv has no bias, as in the official layers)."""

    def __init__(self, in_ch: int, out_ch: int, groups: int, *, norm: NormType, spectral: bool, init: InitParams,
                 who: str):
        super().__init__()
        self.conv = group_conv(in_ch, out_ch, 3, groups, stride=2, padding=1, bias=norm == "none", spectral=spectral,
                               init=init, who=who)
        self.norm = param_free_norm(norm, out_ch)
        self.act = nn.LeakyReLU(0.2)

    @property
    def has_norm(self) -> bool:
        return not isinstance(self.norm, nn.Identity)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))


class GroupEncoderParams(InitParams):
    ndf: int = Field(256, ge=1, description="channels of the first conv, a multiple of K (DeepFashion 256, "
                                            "Cityscapes 350, ADE20K 604); doubled up to 8 x ndf")
    code_channels: int = Field(8, ge=1, description="channels of each class's code map (8 officially)")
    num_upsampling_layers: Literal["normal", "more"] = Field(
        "more", description="the generator's setting: the encoder has as many stride-2 layers, so its codes have "
                            "the decoder's start size")
    norm: NormType = Field("instance", description="norm after each conv (norm_E 'spectralinstance')")
    spectral_norm: bool = Field(True, description="spectral norm on the strided convs")


class GroupDNetEncoder(ganforge.Encoder):
    """GroupDNet encoder: class-wise crops -> group convs -> one Gaussian code per class."""

    Params: ClassVar = GroupEncoderParams
    requires = frozenset({"label"})
    provides = frozenset({"region_style"})

    def __init__(self, params: GroupEncoderParams, data: DataInfo):
        super().__init__(params, data)
        who = "encoder 'groupdnet'"
        self.num_classes = k = codes.num_classes(data, who)
        sh, sw = codes.latent_size(data, params.num_upsampling_layers, who)
        if params.norm == "instance" and sh * sw == 1:
            raise ganforge.ConfigError(
                f"{who}: codes of 1x1 at resolution {data.resolution} leave the last instance norm one pixel to "
                "normalise; use num_upsampling_layers 'normal', a larger resolution, or norm 'none'")
        n = codes.NUM_UPSAMPLINGS[params.num_upsampling_layers]
        widths = [data.image_channels * k] + [params.ndf * min(2 ** i, 8) for i in range(n)]
        self.layers = nn.ModuleList(
            GroupConvUnit(cin, cout, k, norm=params.norm, spectral=params.spectral_norm, init=params,
                          who=f"{who} layer {i + 1}")
            for i, (cin, cout) in enumerate(zip(widths[:-1], widths[1:])))
        head = lambda: group_conv(widths[-1], params.code_channels * k, 3, k, padding=1, init=params, who=who)
        self.fc_mu, self.fc_var = head(), head()

    def forward(self, image: torch.Tensor, cond: Condition) -> dict[str, torch.Tensor]:
        x = class_crops(image, cond["label"], self.num_classes)
        for layer in self.layers:
            x = layer(x)
        mu = codes.from_maps(self.fc_mu(x), self.num_classes)
        logvar = codes.from_maps(self.fc_var(x), self.num_classes)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)  # reparameterisation trick
        return {"region_style": z, "mu": mu, "logvar": logvar}

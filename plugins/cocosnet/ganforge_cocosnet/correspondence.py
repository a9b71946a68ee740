"""The cross-domain correspondence network (Zhang et al. 2020, Sec. 3.1, Fig. 2 left).

Two domain adaptors F_{A->S} and F_{B->S} map the input (a label map) and the exemplar (an
image) into a shared domain S, where their features are comparable; shared residual
blocks refine both (with the label maps appended, the official ``--maskmix``); the
correlation matrix of the two feature sets (``correlation.warp``, temperature 0.01,
softmax over exemplar positions) warps the exemplar -- at 1/4 resolution, the official
64x64 for 256x256 images -- into the input's geometry. The result, ``warped_exemplar``,
is what the translation network's normalization reads.

As a ganforge encoder it provides the condition field ``warped_exemplar`` and returns,
for the recipe's losses, the adapted features of the label map and of the real image
(domain alignment, Eq. 6), the warped exemplar label (the official warp-mask loss) and the
cycle warp r_{y->x->y} (correspondence regularisation, Eq. 7).
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import Condition, DataInfo
from ganforge_spade import semantic
from ganforge_spade.layers import InitParams, conv2d, onehot_conv2d

from .correlation import match_features, normalize_features, warp
from .layers import ResidualBlock, SPADEResnetBlock
from .norm import LABEL_FIELDS, CoCosNetSPADE, CoCosNetSPADEParams, field_channels, label_ids, label_onehot, \
    modulation_map


class CorrespondenceParams(InitParams):
    ngf: int = Field(64, ge=2, description="width of the domain adaptors; the shared features have 4 ngf channels")
    adaptor_kernel: int = Field(3, ge=2, description="kernel of the adaptors' stride-2 convs (official 3 for "
                                                     "ADE20K, 4 for CelebA-HQ and DeepFashion)")
    match_channels: int = Field(256, ge=1, description="channels of the features the correlation compares "
                                                       "(official inter_channels)")
    match_kernel: int = Field(3, ge=1, description="each position is matched by its k x k neighbourhood (odd)")
    temperature: float = Field(0.01, gt=0, description="tau of the correlation softmax (Eq. 4)")
    down: Literal[2, 4] = Field(4, description="features and the warp at 1/down of the image (official warp_stride)")
    maskmix: bool = Field(True, description="append the label maps to the adapted features before the shared "
                                            "blocks (official --maskmix); needs exemplar_label")
    domain_field: Literal["label", "edge"] = Field("label", description="the input domain: a label map or an edge map")
    warp_bilinear: bool = Field(False, description="upsample the warped exemplar bilinearly (else nearest)")
    cycle: bool = Field(False, description="also warp the result back to the exemplar (r_{y->x->y}, Eq. 7)")
    param_free_norm: Literal["positional", "instance", "batch", "syncbatch"] = Field(
        "positional", description="normalisation inside the adaptors' SPADE blocks (official --PONO)")
    spectral_norm: bool = Field(True, description="spectral norm on the adaptors' convs (norm_E spectralinstance)")
    chunk_size: int | None = Field(None, ge=1, description="compute the correlation this many query positions "
                                                           "at a time (same result, less memory); null: all at once")
    lookup: bool = semantic.lookup_field()


class DomainAdaptor(nn.Module):
    """F_{A->S} or F_{B->S} (official AdaptiveFeatureGenerator): five conv + instance-norm
    layers down to 1/4, then three SPADE residual blocks modulated by the adaptor's own
    input (``field``), ending at 4 ngf channels."""

    def __init__(self, field: str, data: DataInfo, p: CorrespondenceParams):
        super().__init__()
        nf, ks = p.ngf, p.adaptor_kernel
        in_ch = field_channels(field, data)

        def unit(cin: int, cout: int, k: int, stride: int, onehot: bool = False) -> nn.Sequential:
            args = dict(stride=stride, padding=1, bias=False, spectral=p.spectral_norm, init=p)
            conv = onehot_conv2d(cin, cin, cout, k, **args) if onehot else conv2d(cin, cout, k, **args)
            return nn.Sequential(conv, nn.InstanceNorm2d(cout))

        # a label map's first conv reads nothing but the one-hot map: a lookup over its ids
        self.lookup = p.lookup and field in LABEL_FIELDS
        self.layer1 = unit(in_ch, nf, 3, 1, onehot=field in LABEL_FIELDS)
        self.layer2 = unit(nf, 2 * nf, ks, 2)
        self.layer3 = unit(2 * nf, 4 * nf, 3, 1)
        self.layer4 = unit(4 * nf, 8 * nf, ks, 2 if p.down == 4 else 1)
        self.layer5 = unit(8 * nf, 8 * nf, 3, 1)
        norm = CoCosNetSPADEParams(inputs=(field,), param_free_norm=p.param_free_norm, init_type=p.init_type,
                                   init_gain=p.init_gain, lookup=p.lookup)

        def make_norm(channels: int) -> CoCosNetSPADE:
            return CoCosNetSPADE(norm, data, channels)

        block = dict(make_norm=make_norm, spectral=p.spectral_norm, init=p)
        self.head_0 = SPADEResnetBlock(8 * nf, 8 * nf, **block)
        self.G_middle_0 = SPADEResnetBlock(8 * nf, 8 * nf, **block)
        self.G_middle_1 = SPADEResnetBlock(8 * nf, 4 * nf, **block)
        self.field = field
        self.data = data

    def forward(self, cond: Condition) -> torch.Tensor:
        if self.lookup:
            ids = label_ids(cond, self.field, self.data, cond[self.field].shape[-2:])
            x = self.layer1[1](self.layer1[0].lookup(ids))
        else:
            # the dtype of a parameter as stored: reading a spectral-normed ``.weight`` would step its power iteration
            x = self.layer1(modulation_map(cond, (self.field,), self.data, next(self.parameters()).dtype))
        for layer in (self.layer2, self.layer3, self.layer4, self.layer5):
            x = layer(F.leaky_relu(x, 0.2))
        for block in (self.head_0, self.G_middle_0, self.G_middle_1):
            x = block(x, cond)
        return x


class CorrespondenceNetwork(ganforge.Encoder):
    """CoCosNet's cross-domain correspondence: warps the exemplar into the label map's geometry."""

    Params: ClassVar = CorrespondenceParams
    requires = frozenset({"label", "exemplar"})
    provides = frozenset({"warped_exemplar"})

    def __init__(self, params: CorrespondenceParams, data: DataInfo):
        super().__init__(params, data)
        if params.match_kernel % 2 == 0:
            raise ganforge.ConfigError(f"encoder 'cocosnet_correspondence': match_kernel must be odd, "
                                       f"got {params.match_kernel}")
        if params.maskmix and params.domain_field != "label":
            raise ganforge.ConfigError("encoder 'cocosnet_correspondence': maskmix appends label maps, so it needs "
                                       "domain_field 'label' (set maskmix: false for edge maps)")
        self.adaptive_model_seg = DomainAdaptor(params.domain_field, data, params)
        self.adaptive_model_img = DomainAdaptor("exemplar", data, params)
        label_nc = field_channels("label", data) if params.maskmix else 0
        channels = 4 * params.ngf + label_nc
        self.layer = nn.Sequential(*(ResidualBlock(channels, params) for _ in range(4)))
        self.phi = conv2d(channels, params.match_channels, 1, init=params)
        self.theta = conv2d(channels, params.match_channels, 1, init=params)

    @classmethod
    def requirements(cls, params: CorrespondenceParams, data: DataInfo) -> frozenset[str]:
        return frozenset({params.domain_field, "exemplar"} | ({"exemplar_label"} if params.maskmix else set()))

    def shared(self, features: torch.Tensor, cond: Condition, label_field: str) -> torch.Tensor:
        """The shared residual blocks, with the label map appended under ``maskmix``."""
        if self.params.maskmix:
            features = torch.cat([features, label_onehot(cond, label_field, self.data, features.shape[-2:],
                                                         features.dtype)], 1)
        return self.layer(features)

    def forward(self, image: torch.Tensor | None, cond: Condition) -> dict[str, torch.Tensor]:
        p = self.params
        exemplar = cond["exemplar"]
        adapted_label = normalize_features(self.adaptive_model_seg(cond))  # x_S of the input, Eq. (1)
        adapted_exemplar = normalize_features(self.adaptive_model_img(cond))  # y_S of the exemplar
        b, _, h, w = adapted_label.shape
        query = match_features(self.theta(self.shared(adapted_label, cond, "label")), p.match_kernel)
        key = match_features(self.phi(self.shared(adapted_exemplar, cond, "exemplar_label")), p.match_kernel)

        values = [F.avg_pool2d(exemplar, p.down)]
        if "exemplar_label" in cond and p.domain_field == "label":
            values.append(label_onehot(cond, "exemplar_label", self.data, (h, w), exemplar.dtype))
        values = torch.cat(values, 1).to(query.dtype)
        channels = values.shape[1]
        warped = warp(query, key, values.flatten(2).transpose(1, 2), p.temperature, p.chunk_size)
        warped = warped.transpose(1, 2).reshape(b, channels, h, w)
        warped_small = warped[:, : exemplar.shape[1]].contiguous()
        mode = "bilinear" if p.warp_bilinear else "nearest"
        out = {"warped_exemplar": F.interpolate(warped_small, scale_factor=p.down, mode=mode),
               "warped_exemplar_small": warped_small, "adapted_label": adapted_label}
        if channels > exemplar.shape[1]:
            # the exemplar's soft label, warped
            out["warped_exemplar_label"] = warped[:, exemplar.shape[1]:].contiguous()
        if p.cycle:  # r_{y->x->y}: the warp's transpose, softmax over input positions
            back = warp(key, query, warped_small.flatten(2).transpose(1, 2), p.temperature, p.chunk_size)
            out["warp_cycle"] = back.transpose(1, 2).reshape(b, -1, h, w)
        if self.training and image is not None:  # domain alignment pairs the label with its real image
            out["adapted_image"] = normalize_features(self.adaptive_model_img(Condition(exemplar=image)))
        return out

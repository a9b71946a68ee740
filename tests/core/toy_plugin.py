"""A small plugin used by the core tests: one component of several kinds, and a field."""

import torch
from pydantic import Field
from torch import nn

import ganforge
from ganforge import FieldSpec

GANFORGE_API = "1.0"


class ScaleNorm(ganforge.Normalizer):
    """Instance norm with a learned scale per channel, conditioned on nothing."""

    class Params(ganforge.Params):
        eps: float = Field(1e-5, gt=0, description="variance epsilon")

    def __init__(self, params, data, num_features):
        super().__init__(params, data, num_features)
        self.weight = nn.Parameter(torch.ones(num_features))

    def forward(self, x, cond):
        return nn.functional.instance_norm(x, eps=self.params.eps) * self.weight[:, None, None]


class LabelNorm(ScaleNorm):
    """ScaleNorm plus a per-class bias read from the label map."""

    requires = frozenset({"label"})

    def __init__(self, params, data, num_features):
        super().__init__(params, data, num_features)
        self.bias = nn.Conv2d(data.label_nc, num_features, 1)

    def forward(self, x, cond):
        return super().forward(x, cond) + self.bias(cond.resized(x.shape[-2:]).onehot(self.data.label_nc))


class TinyGenerator(ganforge.Generator):
    """Label map -> image through two convs and a swappable normalizer."""

    class Params(ganforge.Params):
        width: int = Field(8, ge=1, description="hidden channels")
        norm: ganforge.ComponentSpec = ganforge.slot("normalizer", "scale_norm", "normalization layer")

    requires = frozenset({"label"})

    def __init__(self, params, data):
        super().__init__(params, data)
        self.inp = nn.Conv2d(data.label_nc, params.width, 3, padding=1)
        self.norm = ganforge.build("normalizer", params.norm, data, num_features=params.width)
        self.out = nn.Conv2d(params.width, data.image_channels, 3, padding=1)

    def forward(self, cond):
        x = self.inp(cond.onehot(self.data.label_nc))
        return torch.tanh(self.out(torch.relu(self.norm(x, cond))))


@ganforge.hookimpl
def ganforge_register(register):
    register("normalizer", "scale_norm", ScaleNorm, paper="test")
    register("normalizer", "label_norm", LabelNorm)
    register("generator", "tiny", TinyGenerator)
    register.condition_field(FieldSpec("pose", "nearest", "float", "B,3,H,W", "pose heatmaps"))

"""CoCosNet's objective (Zhang et al. 2020, Sec. 3.3) on VGG19 relu{1..5}_2 features.

* domain alignment, Eq. (6): L1 between the adapted features of the label map and of
  its real image -- the two domain adaptors must meet in one shared space;
* correspondence regularisation, Eq. (7): the exemplar warped to the input and back
  is the exemplar (L1 at 1/4 resolution);
* the official warp-mask loss: the exemplar's label map warped by the same correlation
  must match the input's label map (NLL, ignoring classes the exemplar lacks);
* feature matching with the real image for self-exemplars (Eq. 9, weighted L1 over
  relu{1..5}_2), perceptual MSE on relu5_2 (or 4_2) (Eq. 8), and the contextual loss
  with the exemplar on relu{3,4,5}_2 (Eq. 10);
* adversarial hinge loss and discriminator feature matching (SPADE's components).

The VGG19 is ganforge_spade's (torchvision's ImageNet weights), extended to relu5_2.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

import ganforge
from ganforge import DataInfo
from ganforge_spade.vgg import IMAGENET_MEAN, IMAGENET_STD, load_vgg19_weights, vgg19_features

from .correlation import normalize_features

# Indices in torchvision's vgg19().features of relu1_2, relu2_2, relu3_2, relu4_2, relu5_2.
RELU_X2 = (3, 8, 13, 22, 31)


class VGG19Relu2(nn.Module):
    """Frozen VGG19 returning relu{1..5}_2, the layers every CoCosNet VGG loss reads.

    Images in [-1, 1] are mapped to ImageNet statistics, as torchvision's weights expect
    (the official code does the same for its Caffe weights: ``--vgg_normal_correct``)."""

    def __init__(self, weights: Literal["imagenet", "none"], path: str | None):
        super().__init__()
        features = vgg19_features()  # up to relu5_1 (index 29)
        features.append(nn.Conv2d(512, 512, 3, padding=1))  # conv5_2
        features.append(nn.ReLU())
        if weights == "imagenet":
            load_vgg19_weights(features, path or "hub")
        starts = (0,) + tuple(e + 1 for e in RELU_X2[:-1])
        self.slices = nn.ModuleList(features[s:e + 1] for s, e in zip(starts, RELU_X2))
        self.requires_grad_(False)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def train(self, mode: bool = True):
        return super().train(False)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = ((x + 1) / 2 - self.mean) / self.std
        out = []
        for block in self.slices:
            x = block(x)
            out.append(x)
        return out


def contextual(x: torch.Tensor, y: torch.Tensor, h: float = 0.1) -> torch.Tensor:
    """Contextual loss (Mechrez et al. 2018) per sample, as CoCosNet computes it: features
    centred by y's per-position channel mean, cosine distances d, d / (min_j d + 1e-3),
    affinities softmax((1 - d_norm) / h) over y, CX = mean_i max_j A_ij, loss -log CX."""
    b, c = x.shape[:2]
    mean = y.mean(dim=1, keepdim=True)
    x = normalize_features(x - mean).reshape(b, c, -1)
    y = normalize_features(y - mean).reshape(b, c, -1)
    d = 1 - torch.matmul(x.transpose(1, 2), y)
    d_norm = d / (d.min(dim=-1, keepdim=True)[0] + 1e-3)
    affinity = F.softmax((1 - d_norm) / h, dim=-1)
    return -torch.log(affinity.max(dim=-1)[0].mean(dim=1))


class ContextualParams(ganforge.Params):
    weights: Literal["imagenet", "none"] = Field("imagenet", description="VGG19 weights; 'none': random (tests)")
    path: str | None = Field(None, description="the VGG19 weights file; default: the torch hub cache "
                                               "(<TORCH_HOME>/hub/checkpoints/vgg19-dcbb9e9d.pth)")
    layer_weights: tuple[float, float, float] = Field((2.0, 4.0, 8.0), description="weights of relu3_2, relu4_2, "
                                                      "relu5_2 (relu3_2 average-pooled 2x first)")
    bandwidth: float = Field(0.1, gt=0, description="h of the contextual similarity")


class ContextualLoss(ganforge.PairedLoss):
    """The contextual loss between an image and the exemplar it should take its style from."""

    Params: ClassVar = ContextualParams

    def __init__(self, params: ContextualParams, data: DataInfo):
        super().__init__(params, data)
        self.vgg = VGG19Relu2(params.weights, params.path)

    def from_features(self, fake: list[torch.Tensor], exemplar: list[torch.Tensor]) -> torch.Tensor:
        """Eq. (10) on precomputed relu{1..5}_2 features (the recipe reuses them)."""
        w3, w4, w5 = self.params.layer_weights
        h = self.params.bandwidth
        return (w5 * contextual(fake[4].float(), exemplar[4].detach().float(), h).mean()
                + w4 * contextual(fake[3].float(), exemplar[3].detach().float(), h).mean()
                + w3 * contextual(F.avg_pool2d(fake[2].float(), 2), F.avg_pool2d(exemplar[2].detach().float(), 2),
                                  h).mean())

    def forward(self, fake: torch.Tensor, exemplar: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            target = self.vgg(exemplar)
        return self.from_features(self.vgg(fake), target)


def feature_matching(fake: list[torch.Tensor], real: list[torch.Tensor], self_ref: torch.Tensor,
                     weights=(1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)) -> torch.Tensor:
    """Eq. (9): weighted L1 over relu{1..5}_2 between the output and the real image, only
    for samples whose exemplar is their own image; the per-sample weights are
    ``self_ref / (sum self_ref + 1e-5)`` and the result is averaged over every element,
    exactly as the official ``weighted_l1_loss``."""
    w = (self_ref.float() / (self_ref.float().sum() + 1e-5)).view(-1, 1, 1, 1)
    return sum(lw * ((f.float() - r.detach().float()).abs() * w).mean() for lw, f, r in zip(weights, fake, real))


def domain_alignment(adapted_label: torch.Tensor, adapted_image: torch.Tensor) -> torch.Tensor:
    """Eq. (6): L1 between the normalised adapted features of x_A and of its image x_B."""
    return F.l1_loss(adapted_label.float(), adapted_image.float())


def warp_mask(warped_label: torch.Tensor, label: torch.Tensor, exemplar_label: torch.Tensor,
              ignore_index: int | None) -> torch.Tensor:
    """The official warp-mask loss: NLL of the input's label under the exemplar's warped
    soft label map, at the warp's resolution, over the positions whose class the exemplar
    also shows (and not ``ignore_index``)."""
    size = warped_label.shape[-2:]
    gt = F.interpolate(label[:, None].float(), size=size, mode="nearest").long()[:, 0]
    ref = F.interpolate(exemplar_label[:, None].float(), size=size, mode="nearest").long()[:, 0]
    k = warped_label.shape[1]
    present = torch.zeros(gt.shape[0], k, dtype=torch.bool, device=gt.device)
    present.scatter_(1, ref.flatten(1), True)
    weight = present.gather(1, gt.flatten(1)).view_as(gt).float()
    if ignore_index is not None:
        weight = weight * (gt != ignore_index).float()
    nll = F.nll_loss(torch.log(warped_label.float() + 1e-10), gt, reduction="none")
    return (nll * weight).sum() / (weight.sum() + 1e-5)

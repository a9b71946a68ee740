"""HiDT's translation network: content encoder E_c and the AdaIN U-Net decoder G
(paper Sec. 3.1, Fig. 2; official ``GeneratorContentStyleUnet``).

E_c: conv9 -> n x conv6/2 (channels double) -> residual blocks, all instance-normalised.
Before each downsampling the first ``skip_dim`` channels are kept as a skip connection.

G(c, h, s): residual blocks with AdaIN, then per scale: x2 upsampling, the skip at that
scale passed through a conv with AdaIN (so the skips carry the layout, not the source's
look), concatenation, conv7 with layer norm; a final conv9 predicts the image (tanh) and
a segmentation map together (tanh of both, as the official decoder). An MLP maps the
style code to the feature every AdaIN layer reads; the AdaIN layers are a normalizer **slot**.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

import torch
from pydantic import Field
from torch import nn

import ganforge
from ganforge import ComponentSpec, Condition, DataInfo

from .layers import ConvBlock, LayerNorm, ResBlock, instance_norm, kaiming_init, upsample2


class HiDTGeneratorParams(ganforge.Params):
    dim: int = Field(48, ge=1, description="channels of E_c's first conv; doubles at each downsampling (official 48)")
    num_downsamples: int = Field(2, ge=1, description="stride-2 convs of E_c = upsamplings of G (official 2)")
    content_blocks: int = Field(4, ge=0, description="residual blocks of E_c (official 4)")
    decoder_blocks: int = Field(5, ge=0, description="AdaIN residual blocks of G (official 5)")
    skip_dim: int = Field(5, ge=1, description="channels of each skip connection (official 5)")
    style_dim: int = Field(3, ge=1, description="width of the style code (daytime 3, wikiart 12)")
    mlp_dim: int = Field(64, ge=1, description="width of the style MLP (official adain_net dim 64)")
    mlp_blocks: int = Field(3, ge=2, description="linear layers of the style MLP, the last one inside each "
                            "AdaIN layer (official 3)")
    seg_channels: int = Field(3, ge=0, description="segmentation channels G predicts with the image; the "
                              "recipe's cross-entropy needs label_nc (the released daytime model: 3)")
    norm: ComponentSpec = ganforge.slot("normalizer", {"type": "hidt_adain"},
                                        "AdaIN layers of G; they read cond['style'] = the MLP feature (mlp_dim)")


class Content(NamedTuple):
    """E_c's output: the content tensor c and the skips h, deepest (lowest resolution) first."""

    content: torch.Tensor
    skips: tuple[torch.Tensor, ...]


class ContentEncoder(nn.Module):
    """E_c(x) -> (c, h)."""

    def __init__(self, p: HiDTGeneratorParams, in_ch: int):
        super().__init__()
        self.skip_dim = p.skip_dim
        dim = p.dim
        self.stem = ConvBlock(in_ch, dim, 9, 1, 4, norm=instance_norm)
        down = []
        for _ in range(p.num_downsamples):
            down.append(ConvBlock(dim, 2 * dim, 6, 2, 2, norm=instance_norm))
            dim *= 2
        self.down = nn.ModuleList(down)
        self.blocks = nn.Sequential(*(ResBlock(dim, instance_norm) for _ in range(p.content_blocks)))
        self.out_channels = dim

    def forward(self, x: torch.Tensor) -> Content:
        x = self.stem(x)
        skips = []
        for layer in self.down:
            skips.append(x[:, :self.skip_dim])
            x = layer(x)
        return Content(self.blocks(x), tuple(reversed(skips)))


class HiDTGenerator(ganforge.Generator):
    """HiDT's content encoder and AdaIN U-Net decoder with skip connections; predicts the image and a segmentation."""

    Params: ClassVar = HiDTGeneratorParams
    # source: the image whose content is kept; style: the code G renders it with
    requires = frozenset({"source", "style"})
    capabilities = frozenset({"content_style"})  # encode_content / decode, called apart by the recipe

    def __init__(self, params: HiDTGeneratorParams, data: DataInfo):
        super().__init__(params, data)
        p = params
        self.content_encoder = ContentEncoder(p, data.image_channels)
        dim = self.content_encoder.out_channels
        mlp: list[nn.Module] = [nn.Linear(p.style_dim, p.mlp_dim), nn.ReLU()]
        for _ in range(p.mlp_blocks - 2):
            mlp += [nn.Linear(p.mlp_dim, p.mlp_dim), nn.ReLU()]
        self.mlp = nn.Sequential(*mlp)
        self.blocks = nn.ModuleList(ResBlock(dim, self._norm) for _ in range(p.decoder_blocks))
        self.skip_blocks = nn.ModuleList(ConvBlock(p.skip_dim, p.skip_dim, 7, 1, 3, norm=self._norm)
                                         for _ in range(p.num_downsamples))
        ups = []
        for _ in range(p.num_downsamples):
            ups.append(ConvBlock(dim + p.skip_dim, dim // 2, 7, 1, 3, norm=LayerNorm))
            dim //= 2
        self.ups = nn.ModuleList(ups)
        self.out = ConvBlock(dim, data.image_channels + p.seg_channels, 9, 1, 4, activation="none")
        kaiming_init(self)

    def _norm(self, channels: int) -> nn.Module:
        return ganforge.build("normalizer", self.params.norm, self.data, num_features=channels,
                              path="generator.norm", check=False)

    # -- the two halves, used by the recipe and the applications -------------------------
    def encode_content(self, source: torch.Tensor) -> Content:
        """(c, h) = E_c(x)."""
        return self.content_encoder(source)

    def decode(self, content: Content, cond: Condition, seg_logits: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """G(c, h, s) -> (image in [-1, 1], segmentation (B, seg_channels, H, W)); s is
        ``cond["style"]``, the other fields reach the normalizers unchanged. The segmentation
        is tanh of the last conv's channels, as the official decoder returns every output map
        (``split_tensor_to_maps``, default ``func: tanh``); ``seg_logits`` gives the raw
        channels instead, for a cross-entropy loss."""
        style = cond["style"]
        if style.dim() != 2 or style.shape[1] != self.params.style_dim:
            raise ValueError(f"generator 'hidt' was built for style codes (B, {self.params.style_dim}) but "
                             f"cond['style'] has shape {tuple(style.shape)}; give E_s and G the same style_dim")
        cond = cond.replace(style=self.mlp(style.to(content.content.dtype)))
        x = content.content
        for block in self.blocks:
            x = block(x, cond)
        for skip, skip_block, up in zip(content.skips, self.skip_blocks, self.ups):
            x = up(torch.cat([upsample2(x), skip_block(skip, cond)], dim=1))
        out = self.out(x)
        c = self.data.image_channels
        return torch.tanh(out[:, :c]), out[:, c:] if seg_logits else torch.tanh(out[:, c:])

    def forward(self, cond: Condition) -> torch.Tensor:
        return self.decode(self.encode_content(cond["source"]), cond)[0]

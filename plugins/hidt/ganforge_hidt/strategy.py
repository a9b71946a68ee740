"""The HiDT training recipe (paper Sec. 3.2, Fig. 3), trained without domain labels.

For an image x and a second image x' of the batch (c, h = E_c(x); s = E_s(x); s' =
E_s(x'); s_r ~ N(0, I)):

    autoencoding   x~ = G(c, h, s)                      L_rec  = |x~ - x|
    swap           x^, m^ = G(c, h, s')                 L_seg  = CE(m^, m)
                   c^, s^ = E_c(x^), E_s(x^)            L_c = |c^ - c|,  L_s = |s^ - s'|
    cycle          x'^ = G(c', h', s);  s'^ = E_s(x'^)  L_cyc  = |G(c^, h^, s'^) - x|
    random style   x_r, m_r = G(c, h, s_r)              L_seg^r = CE(m_r, m)
                   c_r, s~_r = E_c(x_r), E_s(x_r)       L_c^r = |c_r - c|,  L_s^r = |s~_r - s_r|
                                                        L_rec^r = |G(c_r, h_r, s~_r) - x_r|
    style prior    pool of recent s                     L_dist = |mean| + |cov - I|
    adversarial    D_u(x^), D_u(x_r); D_c(x^ | s'), D_c(x_r | s_r)    (least squares)

    L = l_adv (L_adv + L_adv^r) + l_rec (L_rec + L_rec^r + L_cyc) + l_seg (L_seg + L_seg^r)
        + l_c (L_c + L_c^r) + l_s L_s + l_sr L_s^r + l_dist L_dist            (Eq. 1)

m is the segmentation of x by an off-the-shelf segmenter, read from the batch's
``label`` field (on the synthetic world its ground-truth label maps). The weights
default to the paper's (5, 2, 3, 1, 0.1, 4, 1).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field

import ganforge
from ganforge import AdversarialLoss, ComponentSpec, Condition, DataInfo, StepResult
from ganforge.run import Run

PAIR = "hidt_pair"
POOL = "hidt_style_pool"


class HiDTParams(ganforge.Params):
    gan_loss: ComponentSpec = ganforge.slot("loss", "lsgan", "adversarial loss of both discriminators")
    lambda_adv: float = Field(5.0, ge=0, description="l_1: adversarial terms (swap and random style)")
    lambda_rec: float = Field(2.0, ge=0, description="l_2: image reconstruction, random reconstruction and cycle")
    lambda_seg: float = Field(3.0, ge=0, description="l_3: segmentation cross-entropy (swap and random style); 0 "
                              "trains without label maps (the WikiArt release predicts no segmentation)")
    lambda_c: float = Field(1.0, ge=0, description="l_4: content reconstruction (swap and random style)")
    lambda_s: float = Field(0.1, ge=0, description="l_5: style reconstruction of the swap")
    lambda_s_r: float = Field(4.0, ge=0, description="l_6: reconstruction of the random style code")
    lambda_dist: float = Field(1.0, ge=0, description="l_7: style distribution loss towards N(0, I)")
    style_pool: int = Field(1024, ge=2, description="style codes (this batch's included) L_dist's moments are "
                            "estimated on; older ones are detached")


def style_distribution_loss(styles: torch.Tensor) -> torch.Tensor:
    """|mean| + |cov - I| over a pool of style codes (N, D), both averaged over entries:
    keeps E_s's codes where the random styles s_r ~ N(0, I) are drawn from."""
    mean = styles.mean(0)
    centred = styles - mean
    cov = centred.T @ centred / (styles.shape[0] - 1)
    eye = torch.eye(styles.shape[1], device=styles.device, dtype=styles.dtype)
    return mean.abs().mean() + (cov - eye).abs().mean()


class HiDT(ganforge.Strategy):
    """HiDT recipe (no domain labels): swap, cycle and random-style branches; content, style, segmentation losses."""

    Params: ClassVar = HiDTParams
    # enhancer: G_enh of the enhancement scheme, when a run keeps one (`ganforge import hidt ...
    # enhancer.pth`); frozen, never called by the training step (the paper trains it after
    # the translator: `ganforge hidt train-enhancer`)
    networks = {"generator": "generator", "style_encoder": "encoder", "discriminator": "discriminator",
                "enhancer": "generator"}
    optional_networks = frozenset({"enhancer"})
    optimizers = {"generator": ("generator", "style_encoder"), "discriminator": ("discriminator",)}
    feeds = frozenset({"subimages"})  # the enhancement scheme's stacked sub-images, for the enhancer
    # added in ganforge_prepare_batch: the image as G's source and its style E_s(x)
    provides = frozenset({"source", "style"})
    reads = {"style_encoder": frozenset({"style"})}

    def __init__(self, params: HiDTParams, data: DataInfo):
        super().__init__(params, data)
        self.gan_loss = ganforge.build("loss", params.gan_loss, data, path="strategy.gan_loss", expect=AdversarialLoss)

    # -- run hooks -----------------------------------------------------------------------
    @classmethod
    def network_needs(cls, params: HiDTParams) -> dict[str, frozenset[str]]:
        """The swap and cycle branches encode content and decode it apart."""
        return {"generator": frozenset({"content_style"})}

    @classmethod
    def requirements(cls, params: HiDTParams, data: DataInfo) -> frozenset[str]:
        """The segmenter's label map of each image, unless the segmentation loss is off."""
        return frozenset({"label"}) if params.lambda_seg > 0 else frozenset()

    @ganforge.hookimpl
    def ganforge_setup(self, run: Run) -> None:
        if "enhancer" in run.models:
            run.models["enhancer"].requires_grad_(False)
        G = run.models["generator"]
        if not (hasattr(G, "encode_content") and hasattr(G, "decode")):
            raise ganforge.ConfigError(
                f"strategy 'hidt': models.generator ({type(G).__name__}) must split into encode_content(x) and "
                "decode(content, cond) -> (image, segmentation), as generator 'hidt' does")
        seg = G.params.seg_channels
        if self.params.lambda_seg > 0 and seg != self.data.label_nc:
            raise ganforge.ConfigError(
                f"strategy 'hidt': models.generator.seg_channels is {seg} but the data has label_nc "
                f"{self.data.label_nc}; the segmentation loss needs one channel per class")

    @ganforge.hookimpl
    def ganforge_prepare_batch(self, run: Run, batch: dict[str, Any]) -> None:
        """Pairs each image with the next one of the batch (x') and adds the source and
        its style (no gradient), so that G(cond) is the reconstruction outside training."""
        image = batch["image"]
        if image.shape[0] < 2:
            raise ganforge.ConfigError("strategy 'hidt' pairs the images of a batch: train.batch_size must be >= 2 "
                                       "per process")
        with torch.no_grad():
            style = run.generator_for_sampling("style_encoder")(image, batch["cond"])["style"]
        batch["cond"] = batch["cond"].replace(source=image, style=style)
        batch[PAIR] = image.roll(1, 0)

    @staticmethod
    def decoder_condition(run: Run, cond: Condition, image: torch.Tensor, style: torch.Tensor,
                          reference: torch.Tensor | None = None, sampling: bool = False) -> Condition:
        """What G.decode reads: the run's conditioning path with the recipe's style code
        as override (``image`` and ``reference`` for any conditioner a config adds)."""
        return run.condition(cond, image, reference, sampling, style=style)[0]

    def _random_styles(self, run: Run, like: torch.Tensor) -> torch.Tensor:
        return torch.randn(like.shape[0], run.models["generator"].params.style_dim, device=like.device,
                           dtype=like.dtype)

    @ganforge.hookimpl
    def ganforge_discriminator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        G, E, D = run.models["generator"], run.models["style_encoder"], run.models["discriminator"]
        x, x2, cond = batch["image"], batch[PAIR], batch["cond"]
        with run.autocast():
            with torch.no_grad():
                s, s2 = E(x, cond)["style"], E(x2, cond)["style"]
                content = G.encode_content(x)
                s_r = self._random_styles(run, s)
                swap = G.decode(content, self.decoder_condition(run, cond, x, s2, x2))[0]
                rand = G.decode(content, self.decoder_condition(run, cond, x, s_r))[0]
            real = self.gan_loss(D(x, cond.replace(style=s)).scores, True, True)
            fake = (self.gan_loss(D(swap, cond.replace(style=s2)).scores, False, True)
                    + self.gan_loss(D(rand, cond.replace(style=s_r)).scores, False, True))
        return StepResult(2 * real + fake, {"d_real": real.detach(), "d_fake": fake.detach()})

    def generator_losses(self, run: Run, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Every term of Eq. 1, unweighted."""
        G, E, D = run.models["generator"], run.models["style_encoder"], run.models["discriminator"]
        x, x2, cond = batch["image"], batch[PAIR], batch["cond"]
        style = lambda img: E(img, cond)["style"]  # noqa: E731
        decode = lambda content, s: G.decode(content, self.decoder_condition(run, cond, x, s), seg_logits=True)  # noqa: E731
        adv = lambda img, s: self.gan_loss(D(img, cond.replace(style=s)).scores, True, False)  # noqa: E731

        s, s2 = style(x), style(x2)
        content, content2 = G.encode_content(x), G.encode_content(x2)
        rec = decode(content, s)[0]
        swap, m_swap = decode(content, s2)
        content_swap = G.encode_content(swap)
        back = decode(content2, s)[0]  # x' in the style of x: its style code closes the cycle
        cyc = decode(content_swap, style(back))[0]
        s_r = self._random_styles(run, s)
        rand, m_rand = decode(content, s_r)
        content_rand, s_r_rec = G.encode_content(rand), style(rand)
        rec_r = decode(content_rand, s_r_rec)[0]
        return {
            "adv": adv(swap, s2), "adv_r": adv(rand, s_r),
            "rec": (rec - x).abs().mean(), "rec_r": (rec_r - rand).abs().mean(), "cyc": (cyc - x).abs().mean(),
            **self.segmentation_losses(cond, m_swap, m_rand),
            "c": (content_swap.content - content.content).abs().mean(),
            "c_r": (content_rand.content - content.content).abs().mean(),
            "s": (style(swap) - s2).abs().mean(), "s_r": (s_r_rec - s_r).abs().mean(),
            "dist": style_distribution_loss(self._pooled(run, s)),
        }

    def segmentation_losses(self, cond: Condition, *logits: torch.Tensor) -> dict[str, torch.Tensor]:
        """L_seg and L_seg^r: cross-entropy of the predicted segmentations against the
        segmenter's label map of the source (none when lambda_seg is 0)."""
        if self.params.lambda_seg == 0:
            return {}
        label = cond["label"].long()
        ignore = self.data.label_nc if self.data.contain_dontcare_label else -100
        m_swap, m_rand = (F.cross_entropy(m.float(), label, ignore_index=ignore) for m in logits)
        return {"seg": m_swap, "seg_r": m_rand}

    def _pooled(self, run: Run, s: torch.Tensor) -> torch.Tensor:
        """This batch's styles (with gradient) after the last ones seen (detached); the
        pool keeps the newest ``style_pool`` codes in ``run.state`` (saved with checkpoints)."""
        old = run.state.get(POOL)
        old = old.to(s) if isinstance(old, torch.Tensor) and old.shape[1:] == s.shape[1:] else s[:0].detach()
        pooled = torch.cat([old, s])[-self.params.style_pool:]
        run.state[POOL] = pooled.detach().float()
        return pooled

    @ganforge.hookimpl
    def ganforge_generator_step(self, run: Run, batch: dict[str, Any]) -> StepResult:
        p = self.params
        with run.frozen("discriminator"), run.autocast():
            t = self.generator_losses(run, batch)
        total = (p.lambda_adv * (t["adv"] + t["adv_r"]) + p.lambda_rec * (t["rec"] + t["rec_r"] + t["cyc"])
                 + p.lambda_seg * (t.get("seg", 0.0) + t.get("seg_r", 0.0)) + p.lambda_c * (t["c"] + t["c_r"])
                 + p.lambda_s * t["s"] + p.lambda_s_r * t["s_r"] + p.lambda_dist * t["dist"])
        return StepResult(total, {k: v.detach() for k, v in t.items()})

    @ganforge.hookimpl
    def ganforge_sample(self, run: Run, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Rows: the sources; the style references (the batch rolled by one); the swaps;
        two rows of random styles (one code per row); the reconstructions."""
        G, E = run.generator_for_sampling(), run.generator_for_sampling("style_encoder")
        x, cond = batch["image"], batch["cond"]
        with torch.no_grad(), run.autocast():
            content = G.encode_content(x)
            reference = x.roll(1, 0)
            condition = lambda s, ref=None: self.decoder_condition(run, cond, x, s, ref, sampling=True)  # noqa: E731
            rows = [x, reference, G.decode(content, condition(E(reference, cond)["style"], reference))[0]]
            for _ in range(2):
                s_r = self._random_styles(run, x[:1]).expand(x.shape[0], -1)
                rows.append(G.decode(content, condition(s_r))[0])
            rows.append(G.decode(content, condition(E(x, cond)["style"]))[0])
        names = ["source", "style reference", "swap", "random style 1", "random style 2", "reconstruction"]
        return {name: r.to(x.dtype) for name, r in zip(names, rows)}

"""Training both backbones on the synthetic world: seeded, on CPU, in minutes.

`train_backbones(out, config)` renders the training and held-out scenes once, trains
the segmenter (per-pixel cross-entropy) and the feature network (one cross-entropy per
categorical head plus a binary cross-entropy for class presence), scores both on the
held-out scenes, writes the weight files atomically and then the manifest.

Reproducible: the initial weights come from ``torch.manual_seed(config.seed)``, batches
and flips from generators seeded from it, scenes are pure functions of their world seed.
On one machine with one torch build and thread count two runs give identical files (the
manifest records the hashes, the torch version and the thread count).
"""

from __future__ import annotations

import platform
import time
from pathlib import Path
from typing import Any, Callable

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from ganforge.interfaces import Params
from ganforge.metrics.segmentation import confusion_matrix, scores

from .data import CLASS_NAMES, Scenes, flip, render_scenes, world_params
from .networks import INPUT_CONVENTION, FeatureNet, SegmenterNet
from .store import FILENAMES, save_backbone, write_manifest


class BackboneConfig(Params):
    """What `ganforge backbones train` trains; defaults are the documented command's."""

    resolution: int = Field(64, ge=16, description="training resolution (square); the shipped synthetic "
                            "configs run at 64")
    train_scenes: int = Field(2000, ge=8, description="scenes rendered for training (flipped at random)")
    heldout_scenes: int = Field(500, ge=8, description="scenes the reported numbers are measured on")
    train_seed: int = Field(1000, ge=0, description="world seed of the training scenes (configs use 0)")
    heldout_seed: int = Field(1001, ge=0, description="world seed of the held-out scenes")
    seed: int = Field(0, description="seed of the initial weights, batch order and flips")
    batch_size: int = Field(16, ge=2, description="scenes per step")
    segmenter_steps: int = Field(400, ge=1, description="optimisation steps of the segmenter")
    features_steps: int = Field(400, ge=1, description="optimisation steps of the feature network")
    lr: float = Field(5e-3, gt=0, description="Adam learning rate, decayed linearly to 0")
    segmenter_width: int = Field(12, ge=4, description="channels of the segmenter's first stage")
    features_width: int = Field(16, ge=4, description="channels of the feature network's first stage")
    feature_dim: int = Field(128, ge=8, description="dimension of the pooled features FID and KID read")


def _fit(net: nn.Module, loss_fn: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor], n: int, steps: int,
         cfg: BackboneConfig, log: Callable[[str], None]) -> float:
    """Adam with linear decay over ``steps`` batches of scene indices; returns the mean
    loss of the last tenth of the steps."""
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / steps)
    net.train()
    tail: list[float] = []
    for step in range(steps):
        index = torch.randint(0, n, (cfg.batch_size,), generator=gen)
        loss = loss_fn(net, index, torch.rand(cfg.batch_size, generator=gen) < 0.5)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step >= steps - max(1, steps // 10):
            tail.append(loss.item())
        if (step + 1) % max(1, steps // 5) == 0:
            log(f"  step {step + 1}/{steps}  loss {loss.item():.4f}")
    return sum(tail) / len(tail)


def _as_input(image_uint8: torch.Tensor) -> torch.Tensor:
    """The training images are already at the backbones' resolution and rounded: only
    the scaling of `backbone_input` remains."""
    return image_uint8.float() / 127.5 - 1


def train_segmenter(scenes: Scenes, cfg: BackboneConfig, log: Callable[[str], None]) -> tuple[SegmenterNet, float]:
    torch.manual_seed(cfg.seed)
    net = SegmenterNet(num_classes=scenes.presence.shape[1], width=cfg.segmenter_width, resolution=cfg.resolution)

    def loss_fn(model: nn.Module, index: torch.Tensor, mirror: torch.Tensor) -> torch.Tensor:
        image, label = flip(scenes.image[index], scenes.label[index], mirror)
        return F.cross_entropy(model(_as_input(image)), label)

    return net, _fit(net, loss_fn, len(scenes), cfg.segmenter_steps, cfg, log)


def feature_losses(out: dict[str, torch.Tensor], targets: dict[str, torch.Tensor]) -> torch.Tensor:
    """Sum of the heads' losses: cross-entropy for look, shape and count, binary
    cross-entropy (mean over classes) for presence."""
    loss = F.binary_cross_entropy_with_logits(out["presence"], targets["presence"])
    for name in ("domain", "shape", "count"):
        loss = loss + F.cross_entropy(out[name], targets[name])
    return loss


def train_features(scenes: Scenes, cfg: BackboneConfig, log: Callable[[str], None]) -> tuple[FeatureNet, float]:
    torch.manual_seed(cfg.seed)
    net = FeatureNet(width=cfg.features_width, feature_dim=cfg.feature_dim, resolution=cfg.resolution)

    def loss_fn(model: nn.Module, index: torch.Tensor, mirror: torch.Tensor) -> torch.Tensor:
        image, _ = flip(scenes.image[index], None, mirror)
        return feature_losses(model(_as_input(image)), scenes.targets(index))

    return net, _fit(net, loss_fn, len(scenes), cfg.features_steps, cfg, log)


@torch.no_grad()
def score_segmenter(net: SegmenterNet, scenes: Scenes, batch_size: int = 100) -> dict[str, Any]:
    """Pixel accuracy, mIoU and per-class IoU on ``scenes`` (one confusion matrix, as the
    `miou` metric computes them), and the same numbers for always predicting the most
    frequent class: the chance level the trained network must beat."""
    net.eval()
    k = scenes.presence.shape[1]
    confusion = torch.zeros(k, k, dtype=torch.int64)
    for start in range(0, len(scenes), batch_size):
        part = slice(start, start + batch_size)
        pred = net(_as_input(scenes.image[part])).argmax(1)
        confusion += confusion_matrix(pred, scenes.label[part], k)
    majority = torch.bincount(scenes.label.flatten(), minlength=k).argmax()
    chance = scores(confusion_matrix(torch.full_like(scenes.label, int(majority)), scenes.label, k))
    c = confusion.double()
    iou = c.diagonal() / (c.sum(0) + c.sum(1) - c.diagonal()).clamp_min(1)
    return {**scores(confusion), "iou": dict(zip(CLASS_NAMES, [round(float(v), 4) for v in iou])),
            "majority_class": {"class": CLASS_NAMES[int(majority)], **chance}}


@torch.no_grad()
def score_features(net: FeatureNet, scenes: Scenes, batch_size: int = 100) -> dict[str, float]:
    """Held-out accuracy of each categorical head and the per-class accuracy of presence."""
    net.eval()
    outs = [net(_as_input(scenes.image[s:s + batch_size])) for s in range(0, len(scenes), batch_size)]
    out = {name: torch.cat([o[name] for o in outs]) for name in outs[0]}
    acc = {f"{name}_accuracy": float((out[name].argmax(1) == getattr(scenes, name)).float().mean())
           for name in ("domain", "shape", "count")}
    acc["presence_accuracy"] = float(((out["presence"] > 0).float() == scenes.presence).float().mean())
    return acc


def train_backbones(out: str | Path, cfg: BackboneConfig | None = None,
                    log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train, score and write both backbones into ``out``; return the manifest."""
    cfg = cfg or BackboneConfig()
    out = Path(out)
    t0 = time.perf_counter()
    log(f"rendering {cfg.train_scenes} training and {cfg.heldout_scenes} held-out scenes at {cfg.resolution} px")
    train = render_scenes(cfg.resolution, cfg.train_seed, cfg.train_scenes)
    heldout = render_scenes(cfg.resolution, cfg.heldout_seed, cfg.heldout_scenes)
    timings = {"render_s": round(time.perf_counter() - t0, 1)}
    entries = {}
    for network, fit, score, steps in (("segmenter", train_segmenter, score_segmenter, cfg.segmenter_steps),
                                       ("features", train_features, score_features, cfg.features_steps)):
        log(f"training the {network} network")
        t = time.perf_counter()
        net, final_loss = fit(train, cfg, log)
        timings[f"{network}_s"] = round(time.perf_counter() - t, 1)
        digest = save_backbone(out / FILENAMES[network], network, net)
        entries[network] = {"file": FILENAMES[network], "sha256": digest, "arch": net.arch, "steps": steps,
                            "final_train_loss": round(final_loss, 4), "heldout": score(net, heldout)}
        log(f"  held-out: {_summary(entries[network]['heldout'])}")
    timings["total_s"] = round(time.perf_counter() - t0, 1)
    manifest = {
        "command": "ganforge backbones train", "config": cfg.model_dump(mode="json"),
        "data": {"world": world_params(cfg.resolution, cfg.train_seed, cfg.train_scenes).model_dump(mode="json"),
                 "heldout_seed": cfg.heldout_seed, "classes": list(CLASS_NAMES)},
        "input_convention": INPUT_CONVENTION, "networks": entries, "timings": timings,
        "torch": torch.__version__, "threads": torch.get_num_threads(), "machine": platform.machine(),
    }
    write_manifest(out, manifest)
    return manifest


def _summary(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v:.4f}" for k, v in values.items() if isinstance(v, float))

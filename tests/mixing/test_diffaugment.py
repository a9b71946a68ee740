"""The core's DiffAugment strategy on SPADE's and StarGAN v2's recipes, unchanged: a probe
around every discriminator call shows that each one — in the discriminator's step, the
generator's step and R1 — receives augmented images, that the images of one sample index
share one augmentation within a step (SPADE's ``D([fake; real])`` pairs, StarGAN v2's
real and fake calls), and that draws change from step to step."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import ganforge
import ganforge_spade.plugin as spade
import ganforge_stargan_v2.plugin as stargan_v2
from ganforge.testing import short_run

PLUGINS = Path(spade.__file__).resolve().parents[2]


class Probe(ganforge.Strategy):
    """Records what the discriminator receives before and after DiffAugment's wrapper and
    in which phase: inside the D step, between the steps (the trainer's R1), in the G step."""

    calls: list = []

    def __init__(self, params, data):
        super().__init__(params, data)
        self.phase = "prepare"

    @ganforge.hookimpl
    def ganforge_setup(self, run):
        d = run.models["discriminator"]
        raw = {}
        # listed before diffaugment, our setup runs after its (the last registered runs
        # first): a pre-hook moved in front of its wrapper sees the raw input, one added
        # behind it what the discriminator receives
        d._forward_pre_hooks.move_to_end(d.register_forward_pre_hook(
            lambda m, args: raw.update(image=args[0].detach().clone())).id, last=False)
        d.register_forward_pre_hook(lambda m, args: Probe.calls.append(
            (run.step, self.phase, raw["image"], args[0].detach().clone(), args[0].requires_grad)))

    @ganforge.hookimpl(wrapper=True)
    def ganforge_discriminator_step(self, run, batch):
        self.phase = f"d:{batch.get('update', '')}"  # a recipe's optimiser update (StarGAN v2 has two)
        result = yield
        self.phase = "r1"  # the trainer's R1 runs between the two steps
        return result

    @ganforge.hookimpl(wrapper=True)
    def ganforge_generator_step(self, run, batch):
        self.phase = f"g:{batch.get('update', '')}"
        return (yield)


class ProbePlugin:
    @staticmethod
    @ganforge.hookimpl
    def ganforge_register(register):
        register("strategy", "probe", Probe)


@pytest.fixture
def registry(isolated_registry):
    Probe.calls = []
    return isolated_registry(("spade", spade), ("stargan_v2", stargan_v2), ("probe", ProbePlugin))


def zero_pattern(x):
    """Where translation padding and cutout zeroed the image (the inputs have no exact zeros)."""
    return (x == 0).all(dim=1)


def check_every_call_augmented(phases):
    for step, phase, raw, seen, _ in Probe.calls:
        assert not torch.equal(raw, seen), f"step {step}, {phase}: the discriminator saw un-augmented images"
        assert zero_pattern(seen).any(), f"step {step}, {phase}: no cutout in the images the discriminator saw"
    assert {p for _, p, *_ in Probe.calls} == phases


def test_spade_every_discriminator_call_sees_paired_augmentations(registry, tmp_path):
    config = PLUGINS / "spade" / "configs" / "synthetic.yaml"
    short_run(config, tmp_path, 2, ["data.resolution=32", "train.batch_size=2", "models.generator.ngf=8",
                                    "models.discriminator.ndf=8", "strategies=[probe, diffaugment]",
                                    "train.r1.gamma=1.0"])
    check_every_call_augmented({"d:", "r1", "g:"})
    for step, phase, raw, seen, grad in Probe.calls:
        if phase in ("d:", "g:"):  # one call on [fake; real]: fake_i and real_i share T_i
            assert seen.shape[0] == 4 and torch.equal(zero_pattern(seen[:2]), zero_pattern(seen[2:]))
        else:  # R1 differentiates through T with respect to the raw reals
            assert grad and seen.shape[0] == 2
    by_step = {(s, p): zero_pattern(seen) for s, p, _, seen, _ in Probe.calls}
    assert torch.equal(by_step[(0, "r1")], by_step[(0, "d:")][2:])  # R1's reals: the D step's draws
    assert not torch.equal(by_step[(0, "d:")], by_step[(1, "d:")])  # fresh draws each step


def test_spade_label_map_moves_with_the_image(registry):
    from ganforge.augment import DiffAugment
    from ganforge.run import Run

    strategy = DiffAugment(DiffAugment.Params(policy=["translation"], translation_ratio=0.25), None)
    label = torch.randint(1, 4, (8, 16, 16))
    image = label[:, None].float().expand(-1, 3, -1, -1) / 4 + 0.1  # colour encodes the class
    run = Run(config=None, data=None, models=torch.nn.ModuleDict())
    out, cond = strategy.augment(run, image, ganforge.Condition(label=label))
    assert not torch.equal(cond["label"], label)  # moved ...
    shifted_in = out[:, 0] == 0
    assert torch.equal(cond["label"][shifted_in], torch.zeros_like(cond["label"][shifted_in]))
    assert torch.allclose(out[:, 0][~shifted_in], cond["label"][~shifted_in].float() / 4 + 0.1)  # ... aligned


def test_stargan_v2_real_fake_and_its_r1_are_augmented_consistently(registry, tmp_path):
    """The official four updates per step: D latent, D reference (each: real with R1, and
    that mode's fake), G latent, G reference."""
    config = PLUGINS / "stargan_v2" / "configs" / "synthetic.yaml"
    short_run(config, tmp_path, 2, ["data.resolution=16", "train.batch_size=2", "models.generator.dim_in=8",
                                    "models.discriminator.dim_in=8", "models.style_encoder.dim_in=8",
                                    "strategies=[probe, diffaugment]"])
    check_every_call_augmented({"d:latent", "d:reference", "g:latent", "g:reference"})
    patterns = {}
    for mode in ("latent", "reference"):
        calls = [(seen, grad) for s, p, _, seen, grad in Probe.calls if (s, p) == (0, f"d:{mode}")]
        assert len(calls) == 2 and calls[0][1] and not calls[1][1]  # the real (R1 differentiates it), the fake
        patterns[mode] = [zero_pattern(seen) for seen, _ in calls]
        assert torch.equal(*patterns[mode])  # real_i and fake_i: one T_i
    assert not torch.equal(patterns["latent"][0], patterns["reference"][0])  # each update draws anew
    g = [zero_pattern(seen) for s, p, _, seen, _ in Probe.calls if (s, p) == (0, "g:latent")]
    assert g and not torch.equal(g[0], patterns["latent"][0])


def test_diffaugment_needs_a_discriminator(registry, tmp_path):
    config = PLUGINS / "spade" / "configs" / "synthetic.yaml"
    with pytest.raises(ganforge.ConfigError, match=r"strategy 'diffaugment': roles \['critic'\] name no network"):
        short_run(config, tmp_path, 1, ["data.resolution=32", "train.batch_size=2",
                                        "strategies=[{type: diffaugment, roles: [critic]}]"])

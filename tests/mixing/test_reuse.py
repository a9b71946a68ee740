"""Discriminator reuse across papers (`ganforge.reuse`, NICE-GAN's ``discriminator_reuse``):
every discriminator with the ``reuse`` capability offers layers that produce what it
declares and that are its own; StarGAN v2's and HiDT's generators encode with them
exactly (their decoders read the discriminator's features); coupled and decoupled
training give the shared layers to the right optimisers; impossible pairings are one
``error:`` line before step 1. (Training runs of the mixes: tests/mixing/test_docs_mixing.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import ganforge
from ganforge import Condition
from ganforge.config import load_config
from ganforge.reuse import Embedding, SharedEncoder, shared_encoder
from ganforge.testing import error_line
from ganforge.trainer import Trainer

ROOT = Path(__file__).parents[2]
MIX = ROOT / "docs" / "mixing"

# one tiny build of every reuse-capable discriminator: (spec, data fields)
DISCRIMINATORS = {
    "nice_gan": ({"type": "nice_gan", "ch": 4, "n_dis": 6}, {"domain"}),
    "stargan_v2": ({"type": "stargan_v2", "dim_in": 8, "max_conv_dim": 16}, {"domain"}),
    "hidt": ({"type": "hidt", "dim": 8, "n_layers": 3, "num_scales": 2}, {"style"}),
    "multiscale_patch": ({"type": "multiscale_patch", "ndf": 8, "n_layers": 3, "num_D": 2}, {"label"}),
    "stylegan2": ({"type": "stylegan2", "channel_base": 512, "channel_max": 16}, set()),
}


def data_info(fields) -> ganforge.DataInfo:
    return ganforge.DataInfo(fields=frozenset(fields), resolution=(64, 64), num_domains=2, label_nc=4)


def condition(data: ganforge.DataInfo, batch: int = 2) -> Condition:
    return Condition(domain=torch.tensor([0, 1]), label=torch.randint(0, data.label_nc, (batch, 64, 64)),
                     style=torch.randn(batch, 3))


def test_every_reuse_capable_discriminator_is_covered(ganforge_registry):
    able = {r.name for r in ganforge_registry.records("discriminator") if "reuse" in getattr(r.cls, "capabilities", ())}
    assert able == set(DISCRIMINATORS)


@pytest.mark.parametrize("name", sorted(DISCRIMINATORS))
def test_the_shared_layers_produce_what_they_declare_and_are_the_discriminators(name, ganforge_registry):
    spec, fields = DISCRIMINATORS[name]
    data = data_info(fields)
    D = ganforge.build("discriminator", spec, data, check=False).eval()
    keys = list(D.state_dict())
    layers = D.reuse_layers()
    own = {id(p) for p in D.parameters()}
    image = torch.rand(2, 3, 64, 64) * 2 - 1
    for end, (_, embedding) in enumerate(layers.stages):
        encoder = shared_encoder(D, embedding, "test")
        assert {id(p) for p in encoder.parameters()} <= own
        out = encoder(image, condition(data))
        assert out.shape[1] == embedding.channels and out.shape[-1] * embedding.stride == 64, (end, embedding)
    assert list(D.state_dict()) == keys  # a view: the official layout is untouched
    D(image, condition(data))  # and the discriminator still runs


def test_stargan_v2s_generator_decodes_the_discriminators_features(ganforge_registry):
    data = data_info({"domain", "source", "style"})
    G = ganforge.build("generator", {"type": "stargan_v2", "dim_in": 8, "max_conv_dim": 16,
                                     "norm": {"type": "adain", "style_dim": 8}}, data, check=False).eval()
    D = ganforge.build("discriminator", DISCRIMINATORS["stargan_v2"][0], data, check=False)
    assert G.encoder_embedding() == Embedding(16, 4)
    G.share_encoder(shared_encoder(D, G.encoder_embedding(), "test"))
    assert G.from_rgb is None and not any(b.downsample for b in G.encoder)  # its own layers are gone
    cond = Condition(source=torch.rand(2, 3, 64, 64), style=torch.randn(2, 8))
    x = D.trunk.blocks[1](D.trunk.blocks[0](D.trunk.from_rgb(cond["source"])))
    for block in G.encoder:  # the bottleneck stays the generator's
        x = block(x)
    for block in G.decoder:
        x = block(x, cond)
    torch.testing.assert_close(G(cond), G.to_rgb(x))


def test_hidts_content_encoder_reads_the_discriminators_features(ganforge_registry):
    data = data_info({"source", "style"})
    G = ganforge.build("generator", {"type": "hidt", "dim": 8, "content_blocks": 1, "decoder_blocks": 1,
                                     "mlp_dim": 16, "seg_channels": 0}, data, check=False).eval()
    D = ganforge.build("discriminator", {**DISCRIMINATORS["hidt"][0], "dim": 16}, data, check=False)
    G.share_encoder(shared_encoder(D, G.encoder_embedding(), "test"))
    x = torch.rand(2, 3, 64, 64)
    body = D.unconditional.scales[0].body
    half = body[0](x)
    content = G.encode_content(x)
    torch.testing.assert_close(content.content, G.content_encoder.blocks(body[1](half)))
    skip_dim = G.params.skip_dim
    torch.testing.assert_close(content.skips[0], half[:, :skip_dim])  # 1/2 size: the D's own features
    torch.testing.assert_close(content.skips[1], half[:, :skip_dim].repeat_interleave(2, -1).repeat_interleave(2, -2))


def optimised(trainer: Trainer, name: str) -> set[int]:
    return {id(p) for g in trainer.optimizers[name].param_groups for p in g["params"]}


@pytest.mark.parametrize("mix", ["reuse_in_stargan_v2.yaml", "reuse_in_hidt.yaml"])
@pytest.mark.parametrize("decoupled", [True, False])
def test_the_shared_layers_go_to_the_optimisers_the_training_mode_says(decoupled, mix, ganforge_registry, tmp_path):
    exp = load_config(MIX / mix, [f"strategies.0.decoupled={str(decoupled).lower()}", "train.steps=1"])
    trainer = Trainer(exp, tmp_path / "run", show_progress=False)
    G, D = trainer.run.models["generator"], trainer.run.models["discriminator"]
    (encoder,) = [m for m in G.modules() if isinstance(m, SharedEncoder)]  # StarGAN v2: G.shared; HiDT: in E_c
    shared = {id(p) for p in encoder.parameters()}
    assert shared and shared <= {id(p) for p in D.parameters()}
    assert shared <= optimised(trainer, "discriminator")
    assert bool(shared & optimised(trainer, "generator")) is not decoupled
    assert bool(shared & trainer.run.keep_trainable) is not decoupled
    before = [p.detach().clone() for p in encoder.parameters()]
    trainer.fit()  # one training step in this mode: the shared layers learn (from D's loss at least)
    after = list(encoder.parameters())
    assert all(torch.isfinite(p).all() for p in after)
    assert any(not torch.equal(b, a) for b, a in zip(before, after))



def test_reuse_on_a_discriminator_without_the_capability_is_one_error(capsys, tmp_path):
    line = error_line(capsys, "train", MIX / "reuse_in_hidt.yaml", "--set",
                    "models.discriminator={type: edgegan_critic, ndf: 8, size: [32, 32]}", "--out", tmp_path / "run")
    assert "models.discriminator: strategies.0 'discriminator_reuse' needs a discriminator with the 'reuse'" in line
    assert "'edgegan_critic' lacks it" in line and "hidt, multiscale_patch, nice_gan, stargan_v2, stylegan2" in line
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_reuse_on_a_generator_without_a_swappable_encoder_is_one_error(capsys, tmp_path):
    line = error_line(capsys, "train", ROOT / "plugins" / "spade" / "configs" / "synthetic.yaml", "--set",
                    "strategies=[{type: discriminator_reuse}]", "--out", tmp_path / "run")
    assert "models.generator: strategies.0 'discriminator_reuse' needs a generator with the 'swappable_encoder'" in line
    assert "'spade' lacks it; generators with it: hidt, stargan_v2" in line


def test_embeddings_that_do_not_meet_are_one_error_before_step_1(capsys, tmp_path):
    """HiDT's D at its own synthetic width (12) has 24 channels at stride 4; E_c makes 48."""
    line = error_line(capsys, "train", MIX / "reuse_in_hidt.yaml", "--set", "models.discriminator.dim=12",
                    "--out", tmp_path / "run")
    assert ("models.generator with models.discriminator: the generator's encoder produces 48 channels at stride 4, "
            "but the discriminator's early layers offer 12 channels at stride 2; 24 channels at stride 4") in line
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_edgegans_classifier_role_needs_class_logits(capsys, tmp_path):
    line = error_line(capsys, "train", ROOT / "plugins" / "edgegan" / "configs" / "synthetic.yaml", "--set",
                    "models.classifier={type: edgegan_critic, ndf: 8, size: [32, 32]}", "--out", tmp_path / "run")
    assert "models.classifier: strategy 'edgegan' needs a discriminator with the 'classes' capability" in line
    assert "'edgegan_critic' lacks it; discriminators with it: edgegan_classifier" in line

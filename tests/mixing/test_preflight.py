"""The pre-flight check follows the conditioning path: each class of impossible mix is one
``error:`` line before step 1, naming the component, the missing piece and what would
supply it; and the recipes condition the generator for sampling and evaluation exactly as
their training steps do."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch

import ganforge
from ganforge.config import from_dict, load_config, verify
from ganforge.testing import error_line
from ganforge.trainer import Trainer

ROOT = Path(__file__).parents[2]
STARGAN = ROOT / "plugins" / "stargan_v2" / "configs" / "synthetic.yaml"
SPADE = ROOT / "plugins" / "spade" / "configs" / "synthetic.yaml"
AN_CLASS_CONDITIONAL = ROOT / "plugins" / "attentive_norm" / "configs" / "synthetic.yaml"
SEAN_IN_STARGAN = ["models.generator.norm={type: sean, param_free_norm: instance}",
                   "models.style_encoder={type: sean_style}", "data.fields=[domain,label]"]



def test_readme_example_missing_field_is_named_with_its_supplier(capsys, tmp_path):
    """The README's old lead example: SEAN's normalizer needs region_style; the style
    encoder that provides it is the recipe's own, whose output never reaches G."""
    sets = [a for s in SEAN_IN_STARGAN for a in ("--set", s)]
    line = error_line(capsys, "train", STARGAN, *sets, "--out", tmp_path / "run")
    assert "models.generator.norm: normalizer 'sean' needs condition field 'region_style'" in line
    assert "models.style_encoder (sean_style) provides it" in line and "condition: {NAME: real}" in line
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_feature_matching_needs_a_discriminator_returning_features(capsys, tmp_path):
    line = error_line(capsys, "train", SPADE, "--set", "models.discriminator={type: stylegan2}",
                    "--out", tmp_path / "run")
    assert "models.discriminator: strategy 'paired_conditional' needs a discriminator with the 'features'" in line
    assert "'stylegan2' lacks it" in line and "multiscale_patch" in line


def test_a_generator_of_another_z_width_is_named_before_step_1(capsys, tmp_path):
    """AN's class-conditional recipe draws z of strategy.z_dim for whatever generator it trains."""
    line = error_line(capsys, "train", AN_CLASS_CONDITIONAL, "--set", "models.generator={type: stylegan2, "
                      "channel_max: 16}", "--out", tmp_path / "run")
    assert ("strategy.z_dim is 120 but models.generator (StyleGAN2Generator) takes z of width 512; set "
            "strategy.z_dim=512") in line
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_a_strategy_states_the_capability_it_rewires(ganforge_registry):
    exp = load_config(SPADE, ["strategies=[{type: discriminator_reuse}]"], check=False)
    with pytest.raises(ganforge.ConfigError, match=r"'discriminator_reuse' needs a generator with the "
                                                   r"'swappable_encoder'.*'spade' lacks it; generators with it: "
                                                   r"hidt, stargan_v2"):
        verify(exp)


def test_a_network_lacking_what_the_recipe_reads_from_it(ganforge_registry):
    exp = load_config(STARGAN, ["models.style_encoder={type: sean_style}", "data.fields=[domain,label]"],
                      check=False)
    with pytest.raises(ganforge.ConfigError, match=r"models.style_encoder: strategy 'stargan_v2' reads 'style' from "
                                                   r"this network, but encoder 'sean_style' provides 'region_style'"):
        verify(exp)


def test_per_domain_outputs_need_a_multitask_discriminator(ganforge_registry):
    exp = load_config(STARGAN, ["models.discriminator={type: stylegan2, channel_max: 16}"], check=False)
    with pytest.raises(ganforge.ConfigError, match=r"'multitask'.*'stylegan2' lacks it"):
        verify(exp)


def test_conditioner_routes_are_checked(ganforge_registry):
    fixed = SEAN_IN_STARGAN[:1] + SEAN_IN_STARGAN[2:] + ["models.region_encoder={type: sean_style, style_length: 512}"]
    ok = load_config(STARGAN, fixed + ["condition={region_encoder: reference}"], check=False)
    assert "region_style" in verify(ok).fields
    missing = load_config(STARGAN, fixed + ["condition={region_encoder: exemplar}"], check=False)
    with pytest.raises(ganforge.ConditionMismatch, match=r"condition.region_encoder: .*'exemplar', which nothing"):
        verify(missing)
    tree = copy.deepcopy(load_config(ROOT / "plugins" / "stylegan2" / "configs" / "synthetic.yaml",
                                     check=False).model_dump(mode="json"))
    tree["models"]["z_encoder"] = {"type": "stargan_v2_mapping"}
    tree["condition"] = {"z_encoder": "none"}
    with pytest.raises(ganforge.ConfigError, match=r"condition: strategy 'stylegan2' runs no conditioners"):
        verify(from_dict(tree))


def _stargan_v2_latent_step(trainer, run, batch):
    """The latent step: the drawn target style and domain as overrides."""
    t, recipe = batch["stargan_v2_targets"], trainer.strategies[0]
    style = recipe.latent_style(run.models["mapping"], t.z, t.domain, batch["cond"])
    return recipe.translate(run, batch["cond"], style, t.domain)


# recipe -> the generator call of its training step, on a prepared batch
TRAINING_STEP_IMAGE = {
    "paired_conditional": lambda trainer, run, batch: trainer.strategies[0].generate(run, batch)[0],
    "stargan_v2": _stargan_v2_latent_step,
    "cocosnet": lambda trainer, run, batch: trainer.strategies[0].translate(run, batch["image"], batch["cond"])[0],
    "an_inpainting": lambda trainer, run, batch: trainer.strategies[0].complete(run, batch["cond"], batch["image"])[1],
}
# recipe -> the generator method its generator step calls first; the step itself runs, spied.
# HiDT's first call is the autoencoding branch x~ = G(c, h, s) with s = E_s(x): by design,
# evaluation and `ganforge sample` give the reconstruction (the batch holds the source and
# its style; the swap and random-style branches have no real image to compare with).
SPIED_STEP = {"semantic_pyramid": "forward", "an_class_conditional": "forward", "edgegan_background": "forward",
              "hidt": "decode"}


def _spied(generator: torch.nn.Module, method: str, call) -> tuple[ganforge.Condition, torch.Tensor]:
    """(condition, image) of the first call of ``generator.<method>`` while ``call()`` runs."""
    original, seen = getattr(generator, method), []

    def spy(*args, **kwargs):
        out = original(*args, **kwargs)
        seen.append((args[-1] if method == "decode" else args[0], out[0] if method == "decode" else out))
        return out

    setattr(generator, method, spy)
    try:
        call()
    finally:
        delattr(generator, method)
    return seen[0]


@pytest.mark.parametrize("config, overrides", [
    (SPADE, ["models.generator.use_vae=true", "models.generator.z_dim=8", "models.encoder={type: spade_vae, ndf: 4, "
             "z_dim: 8}", "models.generator.ngf=4", "models.discriminator.ndf=4", "strategy.vgg=null",
             "data.resolution=32"]),
    (ROOT / "docs" / "mixing" / "sean_norm_in_stargan_v2.yaml", ["data.resolution=32"]),
    (ROOT / "plugins" / "cocosnet" / "configs" / "synthetic.yaml", []),
    (ROOT / "docs" / "mixing" / "cocosnet_exemplar_in_spade.yaml", []),
    (ROOT / "plugins" / "attentive_norm" / "configs" / "synthetic_inpainting.yaml", []),
    (AN_CLASS_CONDITIONAL, []),
    (ROOT / "plugins" / "semantic_pyramid" / "configs" / "synthetic.yaml", ["data.resolution=32",
                                                                           "models.generator.channels=[16,16,8,8,4]"]),
    (ROOT / "plugins" / "hidt" / "configs" / "synthetic.yaml", []),
    (ROOT / "plugins" / "edgegan" / "configs" / "synthetic_background.yaml", ["data.resolution=32",
                                                                             "models.generator.num_downs=5"]),
], ids=["spade_vae", "sean_norm_in_stargan_v2", "cocosnet", "cocosnet_exemplar_in_spade", "an_inpainting",
        "an_class_conditional", "semantic_pyramid", "hidt", "edgegan_background"])
def test_evaluation_conditions_the_generator_as_the_training_step(ganforge_registry, tmp_path, config, overrides):
    """Same batch, same weights: the image the training step's conditioning path gives G
    equals what evaluation and sampling (``run.generate``) give it; where the step itself
    is spied, so is the condition G receives, field by field."""
    exp = load_config(config, overrides + ["train.batch_size=2", "train.ema.enabled=false"])
    trainer = Trainer(exp, tmp_path / "run", show_progress=False)
    run = trainer.run
    batch = {k: v for k, v in trainer.sample_batch.items()}
    run.models.eval()
    torch.manual_seed(0)
    run.hook.ganforge_prepare_batch(run=run, batch=batch)
    recipe = exp.strategy.type
    with torch.no_grad():
        if recipe in SPIED_STEP:
            G, method = run.models["generator"], SPIED_STEP[recipe]
            torch.manual_seed(1)
            cond, evaluated = _spied(G, method, lambda: run.generate(batch["cond"], batch["image"], sampling=True))
            torch.manual_seed(1)
            step_cond, trained = _spied(G, method, lambda: run.hook.ganforge_generator_step(run=run, batch=batch))
            assert sorted(step_cond) == sorted(cond)
            for name in cond:
                torch.testing.assert_close(step_cond[name], cond[name], msg=f"condition field {name!r}")
        else:
            torch.manual_seed(1)  # the same reparameterisation noise for a VAE encoder
            evaluated = run.generate(batch["cond"], batch["image"], sampling=True)
            torch.manual_seed(1)
            trained = TRAINING_STEP_IMAGE[recipe](trainer, run, batch)
    torch.testing.assert_close(trained, evaluated)

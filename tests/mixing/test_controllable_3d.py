"""The 3D-controllable GAN (Liao et al. 2020) mixed with other papers' components: its recipe
trains against StyleGAN2's discriminator, and its 2D generator takes HiDT's AdaIN through the
norm slot (the generator feeds each rendered layer's style code as cond['style'])."""

from pathlib import Path

import yaml

from ganforge.testing import short_run, window_means

CONFIG = Path(__file__).parents[2] / "plugins" / "controllable_3d" / "configs" / "synthetic.yaml"


def tiny(discriminator: dict, norm: dict) -> dict:
    cfg = yaml.safe_load(CONFIG.read_text())
    cfg["data"]["resolution"] = 16
    cfg["models"]["generator"].update(z_dim=16, n_prim=2, n_points=8, hidden=[16, 16], nfilter=8, nfilter_max=16,
                                      style_dim=8, norm=norm)
    cfg["models"]["discriminator"] = discriminator
    # a slow generator, so the discriminator's learning shows in its loss (with equal rates
    # this recipe's G follows every feature D finds and d_loss stays at ln 4)
    cfg["optim"] = {"generator": {"type": "rmsprop", "lr": 1e-5}, "discriminator": {"type": "rmsprop", "lr": 1e-3}}
    cfg["train"]["batch_size"] = 4
    cfg.pop("eval")
    return cfg


def test_recipe_trains_stylegan2_discriminator_and_hidt_adain(tmp_path):
    cfg = tiny({"type": "stylegan2", "channel_base": 64, "channel_max": 16}, {"type": "hidt_adain", "style_dim": 8})
    logs = short_run(cfg, tmp_path, 12, [])
    first, last = window_means(logs, "d_loss", 4)
    assert last < first  # D learns to tell the generated scenes from the synthetic world
    assert all({"compactness", "consistency_3d", "r1"} <= set(s) for s in logs)

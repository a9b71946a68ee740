"""StyleGAN2 mixed with other papers' components: its recipe and generator train against
pix2pixHD's multi-scale patch discriminator (registered by ganforge-spade): the logistic
loss averages over the score maps, the trainer's lazy R1 sums them."""

from pathlib import Path

import yaml

from ganforge.testing import short_run, window_means

CONFIG = Path(__file__).parents[2] / "plugins" / "stylegan2" / "configs" / "synthetic.yaml"


def tiny(discriminator: dict) -> dict:
    cfg = yaml.safe_load(CONFIG.read_text())
    cfg["data"].update(resolution=16, fields=["label"])
    cfg["models"]["generator"].update(z_dim=16, w_dim=16, channel_base=128, channel_max=32)
    cfg["models"]["discriminator"] = discriminator
    cfg["train"]["batch_size"] = 4
    cfg.pop("eval")
    return cfg


def test_stylegan2_recipe_trains_against_spades_multiscale_discriminator(tmp_path):
    logs = short_run(tiny({"type": "multiscale_patch"}), tmp_path, 16, [])
    first, last = window_means(logs, "d_loss", 4)
    assert last < first  # D learns to tell the multi-scale patches apart
    assert [i for i, s in enumerate(logs) if "pl" in s] == [0, 4, 8, 12]

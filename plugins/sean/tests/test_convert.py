"""Import of the official checkpoint into tiny networks (the CelebAMask-HQ key names and
shapes are checked in test_configs.py, where those networks are built once)."""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge_sean.convert import from_official, load_official, official_targets

@pytest.fixture
def pair(registry, data, tiny):
    torch.manual_seed(0)
    g = ganforge.build("generator", tiny["generator"], data)  # synchronised BN, as the official
    e = ganforge.build("encoder", tiny["encoder"], data)
    return g, e


def official_like(g, e, seed=1):
    """A checkpoint in the official layout with fresh values, including the tensors the
    import skips."""
    gen = torch.Generator().manual_seed(seed)
    states = {"generator": g.state_dict(), "encoder": e.state_dict()}
    out = {}
    for key, (role, ours, row) in official_targets(g, e).items():
        shape = states[role][ours].shape if row is None else states[role][ours].shape[1:]
        out[key] = torch.randn(shape, generator=gen)
    out["up_3.ace_0.blending_gamma"] = torch.zeros(1)
    out["head_0.ace_0.Spade.param_free_norm.running_mean"] = torch.zeros(64)
    return out


def test_import_puts_every_tensor_in_place(pair):
    g, e = pair
    state = official_like(g, e)
    g_state, e_state = from_official(g, e, state)
    g.load_state_dict(g_state)
    e.load_state_dict(e_state)
    torch.testing.assert_close(g.blocks[0].norm_0.fc_mu_weight[3], state["head_0.ace_0.fc_mu3.weight"])
    torch.testing.assert_close(g.blocks[5].norm_s.fc_mu_bias[1], state["up_2.ace_s.fc_mu1.bias"])
    torch.testing.assert_close(g.blocks[6].norm_1.spade.mlp_beta.bias, state["up_3.ace_1.Spade.mlp_beta.bias"])
    torch.testing.assert_close(g.blocks[1].conv_1.parametrizations.weight.original,
                               state["G_middle_0.conv_1.weight_orig"])
    torch.testing.assert_close(e.model[14].weight, state["Zencoder.model.14.weight"])
    torch.testing.assert_close(g.blocks[2].norm_0.blending_beta, state["G_middle_1.ace_0.blending_beta"])


def test_a_checkpoint_of_another_config_names_what_does_not_fit(pair, tmp_path):
    g, e = pair
    state = official_like(g, e)
    state["head_0.ace_0.fc_mu0.weight"] = torch.zeros(16, 16)
    del state["conv_img.bias"]
    state["up_4.conv_0.weight_orig"] = torch.zeros(1)
    with pytest.raises(ganforge.ConfigError) as err:
        from_official(g, e, state, source="G.pth")
    message = str(err.value)
    assert "missing: conv_img.bias" in message and "unexpected: up_4.conv_0.weight_orig" in message
    assert "head_0.ace_0.fc_mu0.weight: (16, 16) in the file, (8, 8) here" in message
    with pytest.raises(ganforge.DataError, match="no such file.*ZPdesu/SEAN"):
        load_official(g, e, tmp_path / "latest_net_G.pth")
    (tmp_path / "damaged.pth").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(ganforge.DataError, match="damaged.pth: cannot be read as a SEAN checkpoint"):
        load_official(g, e, tmp_path / "damaged.pth")


def test_load_official_reads_a_file(pair, tmp_path):
    g, e = pair
    state = official_like(g, e, seed=4)
    torch.save(state, tmp_path / "latest_net_G.pth")
    load_official(g, e, tmp_path / "latest_net_G.pth")
    torch.testing.assert_close(g.fc.weight, state["fc.weight"])


def test_only_sean_normalizers_have_the_official_layout(registry, data, tiny):
    g = ganforge.build("generator", {**tiny["generator"], "norm": {"type": "spade", "nhidden": 8}}, data)
    e = ganforge.build("encoder", tiny["encoder"], data)
    with pytest.raises(ganforge.ConfigError, match="needs 'sean' in both normalizer slots"):
        official_targets(g, e)

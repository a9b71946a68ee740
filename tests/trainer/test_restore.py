"""ganforge.trainer.restore: a run reopened from its checkpoint equals the run that saved it."""

import pytest
import torch

from ganforge import GanforgeError
from ganforge.config import from_dict
from ganforge.trainer import Trainer, restore


def test_restore_gives_back_the_trained_weights_and_ema_in_eval_mode(registry, config_tree, tmp_path):
    config_tree["train"]["ema"] = {"enabled": True, "beta": 0.5, "roles": ["generator"]}
    trainer = Trainer(from_dict(config_tree), tmp_path / "run", show_progress=False)
    trainer.fit()
    restored = restore(tmp_path / "run")
    assert restored.step == 6 and restored.run_dir == tmp_path / "run" and not restored.run.training
    assert restored.checkpoint.name.endswith(".pt")
    for role, net in trainer.networks.items():
        for name, value in net.state_dict().items():
            assert torch.equal(restored.run.models[role].state_dict()[name], value), (role, name)
    ema = restored.network("generator")
    assert ema is restored.run.ema["generator"] and not ema.training
    for name, value in trainer.ema["generator"].shadow.state_dict().items():
        assert torch.equal(ema.state_dict()[name], value)
    assert restored.network("discriminator") is restored.run.models["discriminator"]
    assert len(restored.dataset) == config_tree["data"]["size"]


def test_restore_errors_name_the_folder_and_the_role(registry, config_tree, tmp_path):
    (tmp_path / "empty" / "checkpoints").mkdir(parents=True)
    with pytest.raises(GanforgeError, match="empty: no checkpoints in"):
        restore(tmp_path / "empty")
    Trainer(from_dict(config_tree), tmp_path / "run", show_progress=False).fit()
    with pytest.raises(GanforgeError, match="the run has no network 'encoder'; it has generator, discriminator"):
        restore(tmp_path / "run").network("encoder")


def test_a_network_without_weights_or_ema_copy_is_refused_naming_both(registry, config_tree, tmp_path):
    """A damaged file would otherwise give a network at its initialisation, or the raw
    weights where the run averaged them; an imported release keeps only the EMA copies it
    has, and a network nobody asks for may be missing (a checkpoint trimmed to G)."""
    from ganforge import DataError
    from ganforge.trainer import checkpoint as ckpt

    config_tree["train"]["ema"] = {"enabled": True, "beta": 0.5, "roles": ["generator"]}
    Trainer(from_dict(config_tree), tmp_path / "run", show_progress=False).fit()
    path = tmp_path / "run" / "checkpoints" / ckpt.checkpoint_name(6)
    state = ckpt.load(path)

    def damaged(name, **changes):
        out = tmp_path / name
        ckpt.save(out, {k: v for k, v in {**state, **changes}.items() if k != "format"})
        return out

    trimmed = restore(damaged("no_d.pt", models={"generator": state["models"]["generator"]}))
    assert trimmed.held == ["generator"] and trimmed.network("generator") is trimmed.run.ema["generator"]
    with pytest.raises(DataError, match=r"no_d.pt: holds no weights for models.discriminator \(a damaged checkpoint\? "
                                        r"it has models.generator, ema.generator\)$"):
        trimmed.network("discriminator")
    with pytest.raises(DataError, match=r"no_ema.pt: holds no weights for ema.generator \(a damaged checkpoint\?"):
        restore(damaged("no_ema.pt", ema={})).network("generator")
    with pytest.raises(DataError, match=r"no_g.pt: holds no weights for models.generator, ema.generator \(a damaged"):
        restore(damaged("no_g.pt", ema={}, models={"discriminator": state["models"]["discriminator"]})).network(
            "generator")
    with pytest.raises(DataError, match=r"bad.pt: 'models' holds a list, not networks by role"):
        restore(damaged("bad.pt", models=[]))
    imported = restore(damaged("imported.pt", ema={}, imported={"importer": "x"}))
    assert imported.network("generator") is imported.run.models["generator"]

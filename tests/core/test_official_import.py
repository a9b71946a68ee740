"""The core of ``ganforge import``: files are read without running code, importers come
from plugins through ``register.importer``, and what an importer returns is checked
against the networks the config builds before anything is written."""

from __future__ import annotations

import pytest
import torch
import yaml

import ganforge
from ganforge.official import Imported, read_official
from ganforge.testing.official import run_import

CONFIG = {"data": {"type": "synthetic", "resolution": 32, "fields": ["label"]},
          "models": {"generator": {"type": "spade", "ngf": 2, "norm": {"type": "spade", "nhidden": 2}},
                     "discriminator": {"type": "multiscale_patch", "ndf": 2, "n_layers": 2, "num_D": 1}},
          "strategy": {"type": "paired_conditional", "vgg": None}}


class LocalPlugin:
    """Imports a file holding {'G': <our generator's state_dict>} — or, as asked, a role
    the config does not have."""

    role = "generator"

    @ganforge.hookimpl
    def ganforge_register(self, register):
        def function(files, models):
            return Imported(models={self.role: files[0].entry("G")}, sources={self.role: str(files[0].path)})

        register.importer("local", function, "a test importer")


@pytest.fixture
def config(tmp_path, isolated_registry):
    import ganforge_spade.plugin

    isolated_registry(("spade", ganforge_spade.plugin), ("local", LOCAL))
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(CONFIG))
    return path


LOCAL = LocalPlugin()


def test_a_pickle_that_names_code_is_refused_without_running_it(tmp_path, capsys):
    class Evil:
        def __reduce__(self):
            return (print, ("EXECUTED",))

    torch.save({"G": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(ganforge.DataError, match=r"evil.pt: cannot be read as an official weights file "
                                                 r"\(Unsupported global: GLOBAL print\)"):
        read_official(tmp_path / "evil.pt")
    assert "EXECUTED" not in capsys.readouterr().out


def test_importer_names_and_roles_are_checked(config, tmp_path, capsys):
    assert run_import("locl", [tmp_path / "x.pt"], config, tmp_path / "out.pt") == 2
    assert "no importer 'locl'; did you mean 'local'?" in capsys.readouterr().err
    torch.save({"G": {"w": torch.zeros(1)}}, tmp_path / "g.pt")
    assert run_import("local", [tmp_path / "g.pt"], config, tmp_path / "out.pt") == 2
    err = capsys.readouterr().err
    assert f"error: {tmp_path / 'g.pt'} does not fit models.generator" in err and "unexpected: w" in err
    LOCAL.role = "critic"
    try:
        assert run_import("local", [tmp_path / "g.pt"], config, tmp_path / "out.pt") == 2
    finally:
        LOCAL.role = "generator"
    assert "holds 'critic', but" in capsys.readouterr().err
    torch.save({"H": {}}, tmp_path / "h.pt")
    assert run_import("local", [tmp_path / "h.pt"], config, tmp_path / "out.pt") == 2
    assert f"{tmp_path / 'h.pt'}: no entry 'G'; the file has entries H" in capsys.readouterr().err
    assert not (tmp_path / "out.pt").exists()


def test_register_importer_rejects_bad_names(isolated_registry):
    class Bad:
        @ganforge.hookimpl
        def ganforge_register(self, register):
            register.importer("Bad Name", lambda files, models: None, "")

    with pytest.raises(ganforge.PluginError, match="registering importer 'Bad Name': names are lower case"):
        isolated_registry(("bad", Bad()))

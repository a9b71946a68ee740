"""The applications on a ganforge checkpoint of tiny networks, as functions and as commands."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

import ganforge
from ganforge.config import from_dict
from ganforge.trainer import checkpoint as ckpt
from ganforge_stargan_v2 import apps
from ganforge.data.io import load_images

from .helpers import TINY, data_info

RES = 16


def grid_size(columns: int, rows: int) -> tuple[int, int]:
    """Pixel size of a save_grid PNG (2 px padding around every cell)."""
    return columns * RES + (columns + 1) * 2, rows * RES + (rows + 1) * 2


@pytest.fixture
def run_dir(tmp_path):
    """A run folder as the trainer writes it: config + one checkpoint with EMA weights."""
    config = from_dict({"data": {"type": "synthetic", "resolution": RES, "num_domains": 2, "fields": ["domain"]},
                        "models": TINY, "strategy": {"type": "stargan_v2"}})
    torch.manual_seed(0)
    built = apps.build_networks(TINY, data_info(resolution=RES))
    state = {r: m.state_dict() for r, m in built.items()}
    ema = {r: {k: v + 0.01 for k, v in sd.items()} for r, sd in state.items() if r != "discriminator"}
    ckpt.save(tmp_path / "checkpoints" / ckpt.checkpoint_name(10),
              {"step": 10, "config": config.model_dump(mode="json"), "models": state, "ema": ema})
    return tmp_path, ema


@pytest.fixture
def images(tmp_path):
    paths = []
    for i in range(3):
        arr = (np.random.default_rng(i).random((24, 24, 3)) * 255).astype(np.uint8)
        paths.append(tmp_path / f"img{i}.png")
        Image.fromarray(arr).save(paths[-1])
    return [str(p) for p in paths]


def test_loads_ema_weights_from_a_run_folder(run_dir):
    path, ema = run_dir
    nets = apps.load_networks(path)
    assert nets.data.num_domains == 2 and nets.latent_dim == 4 and nets.fan is None
    for role in ("generator", "mapping", "style_encoder"):
        for k, v in getattr(nets, role).state_dict().items():
            assert torch.equal(v, ema[role][k]), (role, k)


def test_latent_reference_and_interpolation(run_dir, images):
    nets = apps.load_networks(run_dir[0])
    source = load_images(images[:2], (RES, RES))
    assert source.shape == (2, 3, RES, RES) and source.min() >= -1 and source.max() <= 1
    z = torch.randn(3, 4)
    rows = apps.latent_guided(nets, source, [0, 1], z)
    assert len(rows) == 6 and rows[0].shape == (2, 3, RES, RES)
    assert not torch.allclose(rows[0], rows[1])  # different z, different style
    # truncation psi = 0 gives every z the domain's average style
    torch.manual_seed(0)
    flat = apps.latent_guided(nets, source, [1], z, psi=0.0)
    torch.testing.assert_close(flat[0], flat[2])
    refs = apps.reference_guided(nets, source, source.flip(0), torch.tensor([1, 0]))
    assert len(refs) == 2
    with torch.no_grad():
        s = nets.style_encoder(source, ganforge.Condition(domain=torch.tensor([0, 1])))["style"]
        frames = apps.interpolate(nets, source, s[:1], s[1:], 5)
        torch.testing.assert_close(frames[0], nets.generator(nets.condition(source, s[:1].expand(2, -1))))
        torch.testing.assert_close(frames[-1], nets.generator(nets.condition(source, s[1:].expand(2, -1))))
    with pytest.raises(ValueError, match="at least 2 steps"):
        apps.interpolate(nets, source, s[:1], s[1:], 1)


def test_commands_write_grids(run_dir, images, tmp_path, capsys):
    from ganforge.cli import main

    out = tmp_path / "latent.png"
    main(["stargan-v2", "latent", str(run_dir[0]), "--source", images[0], "--source", images[1],
          "--styles", "2", "--out", str(out)])
    assert Image.open(out).size == grid_size(2, 1 + 2 * 2)  # sources + 2 domains x 2 styles
    assert "rows, top to bottom: source, domain 0, z 1, domain 0, z 2, domain 1, z 1, domain 1, z 2" in \
        capsys.readouterr().out
    out = tmp_path / "reference.png"
    main(["stargan-v2", "reference", str(run_dir[0]), "--source", images[0], "--source", images[1],
          "--reference", f"{images[2]}:1", "--out", str(out)])
    assert Image.open(out).size == grid_size(3, 2)  # (blank + sources), (reference + translations)
    assert "rows, top to bottom: source, reference 0 (domain 1) | its style" in capsys.readouterr().out
    out = tmp_path / "interp.png"
    main(["stargan-v2", "interpolate", str(run_dir[0]), "--source", images[0], "--domain", "1", "--steps", "4",
          "--out", str(out)])
    assert Image.open(out).size == grid_size(1, 5)
    assert "rows, top to bottom: source, t = 0.00, t = 0.33, t = 0.67, t = 1.00" in capsys.readouterr().out


def test_command_errors_name_the_problem(run_dir, images, capsys):
    from ganforge.cli import main

    with pytest.raises(SystemExit):
        main(["stargan-v2", "reference", str(run_dir[0]), "--source", images[0], "--reference", images[1],
              "--out", "x.png"])
    assert "expected PATH:DOMAIN" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["stargan-v2", "latent", str(run_dir[0]), "--source", images[0], "--domain", "5", "--out", "x.png"])
    assert "domain 5 out of range: the model has 2 domains" in capsys.readouterr().err


def test_applications_run_on_an_imported_official_release(tmp_path):
    """``ganforge import stargan_v2`` of a CelebA-HQ-like release (tiny networks of the same
    structure, high-pass filter and FAN included) gives networks the applications load."""
    from ganforge.testing.official import run_import
    from ganforge_stargan_v2.convert import to_official
    from ganforge_stargan_v2.fan import FAN

    tiny = {**TINY, "generator": {**TINY["generator"], "w_hpf": 1.0}, "fan": {"type": "stargan_v2_fan",
                                                                            "weights": "none"}}
    config = tmp_path / "celeba_hq_tiny.yaml"
    config.write_text(yaml.safe_dump({"data": {"type": "synthetic", "resolution": 256, "num_domains": 2,
                                               "fields": ["domain"]},
                                      "models": tiny, "condition": {"fan": "real"},  # FAN's masks reach G
                                      "strategy": {"type": "stargan_v2"}}))
    torch.manual_seed(0)
    source = apps.build_networks({k: v for k, v in tiny.items() if k != "fan"}, data_info(resolution=256))
    fan = FAN()
    entries = {"generator": "generator", "mapping_network": "mapping", "style_encoder": "style_encoder"}
    release = {entry: to_official(entry, source[role].state_dict()) for entry, role in entries.items()}
    release["generator"]["hpf.filter"] = torch.tensor([[-1.0, -1, -1], [-1, 8, -1], [-1, -1, -1]])
    torch.save({**release, "fan": fan.state_dict()}, tmp_path / "100000_nets_ema.ckpt")
    assert run_import("stargan_v2", [tmp_path / "100000_nets_ema.ckpt"], config, tmp_path / "model.pt") == 0
    nets = apps.load_networks(tmp_path / "model.pt")
    for k, v in source["generator"].state_dict().items():
        assert torch.equal(nets.generator.state_dict()[k], v), k
    assert torch.equal(nets.fan.fan.l0.weight, fan.l0.weight)
    assert not nets.generator.training


def test_a_missing_or_damaged_run_is_one_error_line(run_dir, images, tmp_path, capsys):
    """Through `ganforge.applications.open_app`: no checkpoint, an unreadable file, a network
    without weights each give one `error:` line naming the file, never a traceback."""
    from ganforge.cli import main

    (tmp_path / "empty" / "checkpoints").mkdir(parents=True)
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    state = ckpt.load(ckpt.latest_checkpoint(run_dir[0]))
    del state["models"]["style_encoder"], state["ema"]["style_encoder"], state["format"]
    ckpt.save(tmp_path / "partial.pt", state)
    for run, message in ((tmp_path / "empty", "empty: no checkpoints in"),
                         (tmp_path / "bad.pt", "bad.pt: cannot be read as a ganforge checkpoint"),
                         (tmp_path / "partial.pt", "partial.pt: holds no weights for models.style_encoder")):
        with pytest.raises(SystemExit):
            main(["stargan-v2", "latent", str(run), "--source", images[0], "--out", str(tmp_path / "x.png")])
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and "Traceback" not in err, err

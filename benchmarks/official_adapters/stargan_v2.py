"""StarGAN v2 at AFHQ (clovaai/stargan-v2): 256 px, 3 domains, w_hpf 0, lambda_ds 2.

One official iteration is the body of ``Solver.train``'s loop: D on the latent losses,
D on the reference losses (R1 in each), G + F + E on the latent losses, G on the
reference losses, then the EMA of G, F and E, and the lambda_ds decay, through the
official ``compute_d_loss``, ``compute_g_loss`` and ``moving_average``. ganforge runs
``Trainer.train_step`` at ``plugins/stargan_v2/configs/afhq.yaml``. Both sides start
from the official Solver's seeded weights (He init of the trained networks; the EMA
copies keep PyTorch's default init, as ``build_model`` deep-copies them before
``he_init``), imported with ``ganforge_stargan_v2.convert.load_entry``, and train on the
same batch: sources, their domains, target domains, latent codes and references (ganforge
draws its targets from the batch; here ``draw_targets`` returns the official ones).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch

from .common import (AttrDict, HERE, ganforge_trainer, image_size, official_path, seeded, size_settings, stand_in,
                     write_class_folders)

CONFIG = HERE.parents[2] / "plugins/stargan_v2/configs/afhq.yaml"
DOMAINS = ["cat", "dog", "wild"]
ENTRIES = ("generator", "mapping_network", "style_encoder", "discriminator")
EMA_ENTRIES = ENTRIES[:3]


def batch_size() -> int:
    return int(os.environ.get("VS_BATCH", "2"))


def official_args(workdir: Path) -> argparse.Namespace:
    """main.py's defaults with the AFHQ training command's settings
    (``--num_domains 3 --w_hpf 0 --lambda_reg 1 --lambda_sty 1 --lambda_ds 2 --lambda_cyc 1``)."""
    return argparse.Namespace(
        img_size=image_size(), num_domains=3, latent_dim=16, hidden_dim=512, style_dim=64, lambda_reg=1.0,
        lambda_cyc=1.0, lambda_sty=1.0, lambda_ds=2.0, ds_iter=100000, w_hpf=0.0, randcrop_prob=0.5,
        total_iters=100000, resume_iter=0, batch_size=batch_size(), val_batch_size=32, lr=1e-4, f_lr=1e-6,
        beta1=0.0, beta2=0.99, weight_decay=1e-4, num_outs_per_domain=10, mode="train", num_workers=0, seed=777,
        checkpoint_dir=str(workdir / "official"), wing_path="", lm_path="")


def official_solver(workdir: Path):
    """The official Solver (its networks, He init and optimisers), on the CPU."""
    official_path()
    stand_in("munch", Munch=AttrDict)
    stand_in("ffmpeg")  # core/utils.py imports it for videos
    stand_in("cv2")  # core/wing.py (the FAN, used with w_hpf > 0 only) imports these two
    stand_in("skimage")
    stand_in("skimage.filters", gaussian=None)
    from core import solver

    torch.cuda.is_available = lambda: False  # Solver picks its device with this
    return solver, solver.Solver(official_args(workdir))


def the_batch() -> dict[str, torch.Tensor]:
    """Sources x, their domains y, targets y~, latent codes z1, z2, references x1, x2 (of y~)."""
    b, n = batch_size(), image_size()
    g = torch.Generator().manual_seed(3)
    return {"x_real": seeded((b, 3, n, n), 1), "y_org": torch.arange(b) % 3,
            "y_trg": (torch.arange(b) + 1) % 3, "z_trg": torch.randn(b, 16, generator=g),
            "z_trg2": torch.randn(b, 16, generator=g), "x_ref": seeded((b, 3, n, n), 4),
            "x_ref2": seeded((b, 3, n, n), 5)}


def probe_inputs() -> dict[str, torch.Tensor]:
    n = image_size()
    return {"x": seeded((1, 3, n, n), 7), "y": torch.tensor([1]),
            "z": torch.randn(1, 16, generator=torch.Generator().manual_seed(8))}


def setup(workdir: Path, vgg: bool) -> None:
    write_class_folders(workdir / "data", DOMAINS, image_size())
    torch.manual_seed(0)
    _, s = official_solver(workdir)
    state = {"nets": {e: s.nets[e].module.state_dict() for e in ENTRIES},
             "ema": {e: s.nets_ema[e].module.state_dict() for e in EMA_ENTRIES}}
    torch.save(state, workdir / "weights.pt")


def side(name: str, workdir: Path, vgg: bool, overrides: dict):
    state = torch.load(workdir / "weights.pt", weights_only=True)
    batch, probe = the_batch(), probe_inputs()
    return (official if name == "official" else ganforge)(workdir, state, batch, probe, overrides)


def official(workdir: Path, state, batch, probe, overrides):
    solver, s = official_solver(workdir)
    nets, ema, optims, args = s.nets, s.nets_ema, s.optims, s.args
    for e in ENTRIES:
        nets[e].module.load_state_dict(state["nets"][e])
    for e in EMA_ENTRIES:
        ema[e].module.load_state_dict(state["ema"][e])
    initial_lambda_ds = args.lambda_ds

    def step():
        """The loop body of Solver.train (w_hpf 0: no masks; logging and sampling off)."""
        x_real, y_org, y_trg = batch["x_real"].clone(), batch["y_org"], batch["y_trg"]
        x_ref, x_ref2, z_trg, z_trg2 = batch["x_ref"], batch["x_ref2"], batch["z_trg"], batch["z_trg2"]
        d_loss, _ = solver.compute_d_loss(nets, args, x_real, y_org, y_trg, z_trg=z_trg, masks=None)
        s._reset_grad()
        d_loss.backward()
        optims.discriminator.step()
        d_loss, _ = solver.compute_d_loss(nets, args, x_real, y_org, y_trg, x_ref=x_ref, masks=None)
        s._reset_grad()
        d_loss.backward()
        optims.discriminator.step()
        g_loss, _ = solver.compute_g_loss(nets, args, x_real, y_org, y_trg, z_trgs=[z_trg, z_trg2], masks=None)
        s._reset_grad()
        g_loss.backward()
        optims.generator.step()
        optims.mapping_network.step()
        optims.style_encoder.step()
        g_loss, _ = solver.compute_g_loss(nets, args, x_real, y_org, y_trg, x_refs=[x_ref, x_ref2], masks=None)
        s._reset_grad()
        g_loss.backward()
        optims.generator.step()
        for e in EMA_ENTRIES:
            solver.moving_average(nets[e], ema[e], beta=0.999)
        if args.lambda_ds > 0:
            args.lambda_ds -= initial_lambda_ds / args.ds_iter

    @torch.no_grad()
    def forward():
        x, y, z = probe["x"], probe["y"], probe["z"]
        return {"G(x, F(z))": nets.generator(x, nets.mapping_network(z, y)),
                "G(x, E(x))": nets.generator(x, nets.style_encoder(x, y)),
                "D(x)": nets.discriminator(x, y),
                "G_ema(x, F_ema(z))": ema.generator(x, ema.mapping_network(z, y))}
    return step, forward


def ganforge(workdir: Path, state, batch, probe, overrides):
    from ganforge import Condition
    import ganforge_stargan_v2.strategy as recipe
    from ganforge_stargan_v2.convert import ROLES, load_entry

    trainer = ganforge_trainer(CONFIG, workdir, batch_size(),
                               [*size_settings(), *(f"{k}={v}" for k, v in overrides.items())])
    run = trainer.run
    for e in ENTRIES:
        load_entry(run.models[ROLES[e]], e, state["nets"][e], "official weights")
    for e in EMA_ENTRIES:
        load_entry(run.ema[ROLES[e]], e, state["ema"][e], "official weights")
    targets = recipe.Targets(batch["y_trg"], batch["z_trg"], batch["z_trg2"], batch["x_ref"], batch["x_ref2"])
    recipe.draw_targets = lambda image, domain, latent_dim: targets  # the official batch's targets

    def step():
        trainer.train_step({"image": batch["x_real"].clone(), "domain": batch["y_org"].clone()})

    @torch.no_grad()
    def forward():
        x, y, z = probe["x"], probe["y"], probe["z"]
        cond = recipe.StarGANv2.source_condition(x, Condition(domain=y))
        M, S, D = run.models["mapping"], run.models["style_encoder"], run.models["discriminator"]
        T = recipe.StarGANv2
        return {"G(x, F(z))": T.translate(run, cond, T.latent_style(M, z, y, cond), y),
                "G(x, E(x))": T.translate(run, cond, T.reference_style(S, x, y, cond), y),
                "D(x)": D(x, cond).scores[0],
                "G_ema(x, F_ema(z))": T.translate(run, cond, T.latent_style(run.ema["mapping"], z, y, cond), y,
                                                  sampling=True)}
    return step, forward

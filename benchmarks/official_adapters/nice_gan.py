"""NICE-GAN at horse2zebra (alpc91/NICE-GAN-pytorch): main.py's defaults, 256 px, ch 64,
n_res 6, n_dis 7, the full generator (``--light False``; ``VS_NICE_LIGHT=1`` benchmarks
the light one), batch 1 per domain.

One official iteration is the body of ``NICE.train``'s loop: the D update, then the G
update, on one image of each domain (the learning-rate decay only starts at step
150,000; the loss printout is left out). The official networks and optimisers are built
as ``NICE.build_model`` builds them, from the official ``networks.py``. ganforge runs
``Trainer.train_step`` at ``plugins/nice_gan/configs/horse2zebra.yaml`` on a batch of the
same two images (domain A, domain B: exactly the official step, see the recipe). Both
sides start from the official networks' seeded weights (spectral-norm vectors included),
imported with ``ganforge_nice_gan.convert.from_official``.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import torch
from torch import nn

from .common import HERE, ganforge_trainer, image_size, official_path, seeded, size_settings, write_class_folders

CONFIG = HERE.parents[2] / "plugins/nice_gan/configs/horse2zebra.yaml"
ROLES = {"gen2B": "generator_ab", "gen2A": "generator_ba", "disA": "discriminator_a", "disB": "discriminator_b"}
LR, WEIGHT_DECAY, ADV, CYCLE, RECON = 1e-4, 1e-4, 1, 10, 10  # main.py's defaults


def light() -> bool:
    return os.environ.get("VS_NICE_LIGHT", "0") == "1"


def official_networks() -> dict[str, nn.Module]:
    """gen2B, gen2A, disA, disB as NICE.build_model builds them (same order, same arguments)."""
    official_path()
    from networks import Discriminator, ResnetGenerator

    gen = dict(input_nc=3, output_nc=3, ngf=64, n_blocks=6, img_size=image_size(), light=light())
    return {"gen2B": ResnetGenerator(**gen), "gen2A": ResnetGenerator(**gen),
            "disA": Discriminator(input_nc=3, ndf=64, n_layers=7), "disB": Discriminator(input_nc=3, ndf=64, n_layers=7)}


def images() -> tuple[torch.Tensor, torch.Tensor]:
    n = image_size()
    return seeded((1, 3, n, n), 1), seeded((1, 3, n, n), 2)


def setup(workdir: Path, vgg: bool) -> None:
    write_class_folders(workdir / "data", ["A", "B"], image_size())
    torch.manual_seed(0)
    torch.save({k: m.state_dict() for k, m in official_networks().items()}, workdir / "weights.pt")


def side(name: str, workdir: Path, vgg: bool, overrides: dict):
    state = torch.load(workdir / "weights.pt", weights_only=True)
    return (official if name == "official" else ganforge)(workdir, state, overrides)


def official(workdir: Path, state, overrides):
    nets = official_networks()
    for k, m in nets.items():
        m.load_state_dict(state[k])
        m.train()
    gen2B, gen2A, disA, disB = (nets[k] for k in ROLES)
    L1_loss, MSE_loss = nn.L1Loss(), nn.MSELoss()
    G_optim = torch.optim.Adam(itertools.chain(gen2B.parameters(), gen2A.parameters()), lr=LR, betas=(0.5, 0.999),
                               weight_decay=WEIGHT_DECAY)
    D_optim = torch.optim.Adam(itertools.chain(disA.parameters(), disB.parameters()), lr=LR, betas=(0.5, 0.999),
                               weight_decay=WEIGHT_DECAY)
    real_A, real_B = images()

    def step():
        """NICE.train's loop body (names as there)."""
        D_optim.zero_grad()
        real_LA_logit, real_GA_logit, real_A_cam_logit, _, real_A_z = disA(real_A)
        real_LB_logit, real_GB_logit, real_B_cam_logit, _, real_B_z = disB(real_B)
        fake_A2B = gen2B(real_A_z)
        fake_B2A = gen2A(real_B_z)
        fake_B2A = fake_B2A.detach()
        fake_A2B = fake_A2B.detach()
        fake_LA_logit, fake_GA_logit, fake_A_cam_logit, _, _ = disA(fake_B2A)
        fake_LB_logit, fake_GB_logit, fake_B_cam_logit, _, _ = disB(fake_A2B)

        def lsgan(real, fake):
            return MSE_loss(real, torch.ones_like(real)) + MSE_loss(fake, torch.zeros_like(fake))
        D_loss_A = ADV * (lsgan(real_GA_logit, fake_GA_logit) + lsgan(real_A_cam_logit, fake_A_cam_logit)
                          + lsgan(real_LA_logit, fake_LA_logit))
        D_loss_B = ADV * (lsgan(real_GB_logit, fake_GB_logit) + lsgan(real_B_cam_logit, fake_B_cam_logit)
                          + lsgan(real_LB_logit, fake_LB_logit))
        (D_loss_A + D_loss_B).backward()
        D_optim.step()

        G_optim.zero_grad()
        _, _, _, _, real_A_z = disA(real_A)
        _, _, _, _, real_B_z = disB(real_B)
        fake_A2B = gen2B(real_A_z)
        fake_B2A = gen2A(real_B_z)
        fake_LA_logit, fake_GA_logit, fake_A_cam_logit, _, fake_A_z = disA(fake_B2A)
        fake_LB_logit, fake_GB_logit, fake_B_cam_logit, _, fake_B_z = disB(fake_A2B)
        fake_B2A2B = gen2B(fake_A_z)
        fake_A2B2A = gen2A(fake_B_z)

        def ones(x):
            return MSE_loss(x, torch.ones_like(x))
        G_cycle_loss_A = L1_loss(fake_A2B2A, real_A)
        G_cycle_loss_B = L1_loss(fake_B2A2B, real_B)
        fake_A2A = gen2A(real_A_z)
        fake_B2B = gen2B(real_B_z)
        G_recon_loss_A = L1_loss(fake_A2A, real_A)
        G_recon_loss_B = L1_loss(fake_B2B, real_B)
        G_loss_A = (ADV * (ones(fake_GA_logit) + ones(fake_A_cam_logit) + ones(fake_LA_logit))
                    + CYCLE * G_cycle_loss_A + RECON * G_recon_loss_A)
        G_loss_B = (ADV * (ones(fake_GB_logit) + ones(fake_B_cam_logit) + ones(fake_LB_logit))
                    + CYCLE * G_cycle_loss_B + RECON * G_recon_loss_B)
        (G_loss_A + G_loss_B).backward()
        G_optim.step()

    @torch.no_grad()
    def forward():
        for m in nets.values():
            m.eval()  # spectral norm without a power iteration
        a_local, a_global, a_cam, _, a_z = disA(real_A)
        _, _, _, _, b_z = disB(real_B)
        out = {"G_ab(E_a(a))": gen2B(a_z), "G_ba(E_b(b))": gen2A(b_z), "D_a(a) local": a_local,
               "D_a(a) global": a_global, "D_a(a) cam": a_cam}
        for m in nets.values():
            m.train()
        return out
    return step, forward


def ganforge(workdir: Path, state, overrides):
    from ganforge import Condition
    from ganforge_nice_gan.convert import from_official

    sets = [*size_settings(), *(f"{k}={v}" for k, v in overrides.items())]
    if light():
        sets += ["models.generator_ab.light=true", "models.generator_ba.light=true"]
    trainer = ganforge_trainer(CONFIG, workdir, 2, sets)
    models = trainer.run.models
    for entry, role in ROLES.items():
        models[role].load_state_dict(from_official(models[role], state[entry], f"official {entry}"))
    real_A, real_B = images()
    batch = {"image": torch.cat([real_A, real_B]), "domain": torch.tensor([0, 1])}

    def step():
        trainer.train_step({k: v.clone() for k, v in batch.items()})

    @torch.no_grad()
    def forward():
        for m in models.values():
            m.eval()
        out_a = models["discriminator_a"](real_A)
        b_z = models["discriminator_b"].encode(real_B).embedding
        out = {"G_ab(E_a(a))": models["generator_ab"](Condition(embedding=out_a.extra["embedding"])),
               "G_ba(E_b(b))": models["generator_ba"](Condition(embedding=b_z)),
               "D_a(a) local": out_a.scores[0], "D_a(a) global": out_a.scores[1],
               "D_a(a) cam": out_a.extra["cam_logit"]}
        for m in models.values():
            m.train()
        return out
    return step, forward

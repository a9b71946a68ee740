"""ganforge against a paper's official code: full training iterations, side by side.

    python benchmarks/vs_official.py spade --official /path/to/NVlabs/SPADE            # ADE20K, with VGG
    python benchmarks/vs_official.py spade --official /path/to/NVlabs/SPADE --no-vgg
    python benchmarks/vs_official.py spade --official ... --set lookup=false            # dense one-hot convs
    python benchmarks/vs_official.py sean --official /path/to/ZPdesu/SEAN                # CelebAMask-HQ
    python benchmarks/vs_official.py cocosnet --official /path/to/microsoft/CoCosNet     # ADE20K
    python benchmarks/vs_official.py stargan_v2 --official /path/to/clovaai/stargan-v2 --batch 2   # AFHQ
    python benchmarks/vs_official.py nice_gan --official /path/to/alpc91/NICE-GAN-pytorch   # horse2zebra
    python benchmarks/vs_official.py stargan_v2 --official ... --profile --batch 1 --size 128   # where the time goes

The official repository is a local checkout given by path (never vendored, never
modified: what it lacks on a CPU without datasets -- its ``sync_batchnorm`` submodule,
``dill``, ImageNet downloads, ``.cuda()`` -- is shimmed from here). A setup process builds
the official networks at the paper's standard config with seeded random weights and
saves them one file per network, as the releases do; the ganforge side loads those files
through the plugin's own importer (``ganforge import NAME``'s function). Both sides get
the same batch, fed as tensors (the official side's data loader is skipped).

Each side runs in its own process with one thread (``OMP_NUM_THREADS=1``), rounds
alternating which side goes first, so that both see the same machine load. Each round
builds the networks, computes the generator's output on the batch from the shared
weights (the output check: the largest difference between the sides is printed for
every round, and a difference above ``--tol`` fails the run), runs ``--warmup`` untimed
iterations, then times ``--steps`` iterations (D step + G step: forward, backward,
optimiser, as each trainer does them). Reported: per-iteration CPU and wall time
(median over rounds), their ratios ganforge/official, each process's peak RSS, and both
sides' losses of the first iteration.

Host memory: the ganforge side runs with the trainer's ``train.host_memory`` (default
``keep``: glibc keeps freed memory for reuse; ``--host-memory release`` for glibc's
default); the official side as shipped, or with ``--official-host-memory keep`` under the
same allocator settings, for a comparison of the code alone.

A paper is one small adapter (`Paper`): its official options and how its official model
takes a batch; everything else is shared. StarGAN v2 and NICE-GAN, whose official code
has no pix2pix-style trainer, are modules of ``official_adapters/`` (`ModuleAdapter`);
their named probe outputs are compared before any step (checked) and again after the
first (warm-up) iteration (reported: see `ModuleAdapter`).

``--profile`` runs, instead of timed rounds, one warm-up and one iteration of each side
under ``torch.profiler`` (CPU, shapes recorded), one side after the other, and prints
their self CPU time and call count per op side by side (``--json``: the tables, plus the
top ops grouped by input shapes). ``--size`` (StarGAN v2, NICE-GAN) shrinks the images
to keep a profile's memory low: op counts and shares, not the papers' timings.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]


@dataclass
class Side:
    """One side of a comparison: a training iteration (returns its losses) and the
    generator's output on the batch (no gradient, train mode as in training)."""

    step: Callable[[], dict[str, float]]
    output: Callable[[], torch.Tensor]


# ---------------------------------------------------------------------------- the official side, shimmed

def official_code(official: Path) -> None:
    """Make an official SPADE-lineage checkout importable on a CPU-only machine without
    touching it: its path first on sys.path, and stand-ins for what it cannot have here."""
    sys.path.insert(0, str(official))
    sys.modules.setdefault("dill", pickle)  # util.py imports dill only to pickle options
    for name in ("matplotlib", "matplotlib.pyplot"):  # CoCosNet's contextual loss imports it for plots only
        sys.modules.setdefault(name, types.ModuleType(name))
    if not (official / "models/networks/sync_batchnorm/__init__.py").exists():
        # A git submodule, often not checked out. On one CPU process its SynchronizedBatchNorm2d
        # runs F.batch_norm exactly as nn.BatchNorm2d does, so that is what stands in.
        stub = types.ModuleType("models.networks.sync_batchnorm")
        stub.SynchronizedBatchNorm1d, stub.SynchronizedBatchNorm2d = torch.nn.BatchNorm1d, torch.nn.BatchNorm2d
        stub.DataParallelWithCallback = None
        sys.modules["models.networks.sync_batchnorm"] = stub
    import scipy.io
    import torchvision

    real_loadmat = scipy.io.loadmat
    scipy.io.loadmat = lambda f, *a, **k: ({"colors": np.zeros((150, 3), np.uint8)} if str(f).endswith(
        "color150.mat") else real_loadmat(f, *a, **k))  # CoCosNet's colour map for visuals, not in the repo
    real_vgg19 = torchvision.models.vgg19
    torchvision.models.vgg19 = lambda pretrained=False, **kw: real_vgg19(weights=None)  # no download
    torch.Tensor.cuda = lambda self, *a, **k: self  # the VGG losses and noise call .cuda() unconditionally
    torch.nn.Module.cuda = lambda self, *a, **k: self

    class Adam(torch.optim.Adam):  # betas=(0, 0.9): today's torch refuses an int beside a float
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), **kw):
            super().__init__(params, lr=lr, betas=tuple(float(b) for b in betas), **kw)

    torch.optim.Adam = Adam


def official_options(argv: list[str], workdir: Path):
    """The official TrainOptions parsed from ``argv`` (checkpoints under ``workdir``)."""
    from options.train_options import TrainOptions

    saved, sys.argv = sys.argv, ["train.py", "--checkpoints_dir", str(workdir / "official"), "--name", "bench",
                                 "--dataroot", str(workdir), *argv]
    try:
        return TrainOptions().parse()
    finally:
        sys.argv = saved


# ---------------------------------------------------------------------------- the ganforge side

def ganforge_side(paper: "Paper", workdir: Path, args) -> Side:
    """The plugin's config with the benchmark's batch size, its trainer, the official
    files loaded through the plugin's importer."""
    from ganforge import registry
    from ganforge.config import from_dict, resolve_tree
    from ganforge.official import OfficialFile, check_state, read_official
    from ganforge.trainer import Trainer
    from ganforge.trainer.data import to_run_batch

    cfg = resolve_tree(ROOT / paper.config)
    cfg["train"] = {"steps": 10, "batch_size": paper.batch_size, "device": "cpu", "sample_every": 0,
                    "checkpoint_every": 0, "precision": "fp32", "num_workers": 0}
    if args.host_memory:
        cfg["train"]["host_memory"] = args.host_memory
    cfg["schedule"] = {"type": "constant"}
    cfg.setdefault("data", {})["root"] = str(workdir / "data")
    paper.ganforge_config(cfg, args)
    exp = from_dict(cfg, f"vs_official {paper.name}")
    trainer = Trainer(exp, workdir / f"run-{os.getpid()}", show_progress=False)
    models = trainer.run.models
    files = [OfficialFile(p, read_official(p)) for p in sorted((workdir / "weights").glob("*.pth"))]
    imported = registry.get_registry().importer(paper.importer).function(files, dict(models))
    for role, sd in imported.models.items():
        check_state(models[role], sd, imported.sources[role], role)
        models[role].load_state_dict(sd)
    missing = set(paper.trained_roles) - set(imported.models)
    if missing:
        sys.exit(f"error: the official files filled no {', '.join(sorted(missing))}")
    paper.ganforge_extra(trainer, workdir)
    raw = paper.ganforge_batch(torch.load(workdir / "batch.pt", weights_only=True))

    def step() -> dict[str, float]:
        return trainer.train_step({k: v.clone() for k, v in raw.items()})

    def output() -> torch.Tensor:
        run = trainer.run
        batch = to_run_batch({k: v.clone() for k, v in raw.items()}, trainer.data_info, trainer.device, False)
        trainer.pm.hook.ganforge_prepare_batch(run=run, batch=batch)
        return run.generate(batch["cond"], image=batch["image"])

    return Side(step, output)


def vgg_slices(official: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The official VGGLoss's ``slice<n>.<i>.*`` (n = 1..5, i: torchvision's layer index)
    -> ``slices.<n-1>.<i>.*``, the layout of ganforge_spade's perceptual loss."""
    return {f"slices.{int(k[5]) - 1}.{k.split('.', 1)[1]}": v for k, v in official.items()}


# ---------------------------------------------------------------------------- the papers

class Paper:
    """What differs between papers: the official options and model calls, the ganforge config."""

    name = ""
    config = ""             # the plugin's config of the paper's standard setting
    importer = ""           # the plugin's registered importer
    trained_roles: tuple[str, ...] = ()
    batch_size = 1
    files: dict[str, str] = {}  # image / label -> the dataset layout's path pattern (for the loader's checks)
    compare_after_step = False  # also compare the probe outputs after the first iteration (reported, not checked)

    def official_argv(self, args) -> list[str]:
        raise NotImplementedError

    def make_batch(self, seed: int = 1) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def official_files(self, model) -> dict[str, dict[str, torch.Tensor]]:
        """File name -> state_dict of each official network, as the release saves them."""
        raise NotImplementedError

    def official_side(self, model, trainer, batch) -> Side:
        raise NotImplementedError

    def official_trainer(self, opt):
        from trainers.pix2pix_trainer import Pix2PixTrainer

        return Pix2PixTrainer(opt)

    def ganforge_config(self, cfg: dict, args) -> None:
        """Benchmark-specific changes to the plugin's config (none by default)."""

    def ganforge_batch(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {"label": batch["label"], "image": batch["image"]}

    def ganforge_extra(self, trainer, workdir: Path) -> None:
        """Weights the importer does not cover (the losses' VGG): from ``extra.pt``."""
        extra = torch.load(workdir / "extra.pt", weights_only=True) if (workdir / "extra.pt").exists() else {}
        if "vgg" in extra:
            (loss,) = [s.vgg for s in trainer.strategies if getattr(s, "vgg", None) is not None]
            loss.load_state_dict(vgg_slices(extra["vgg"]))

    # -- shared -----------------------------------------------------------------------
    def build_official(self, workdir: Path, args):
        official_code(Path(os.environ["VS_OFFICIAL"]))
        return self.official_trainer(official_options(self.official_argv(args), workdir))

    def setup(self, workdir: Path, args) -> None:
        """Seeded official networks -> one file per network + the batch, for both sides."""
        torch.manual_seed(0)
        trainer = self.build_official(workdir, args)
        (workdir / "weights").mkdir()
        for name, sd in self.official_files(trainer).items():
            torch.save(sd, workdir / "weights" / name)
        torch.save(self.official_extra(trainer), workdir / "extra.pt")
        batch = self.make_batch()
        torch.save(batch, workdir / "batch.pt")
        write_dataset(workdir / "data", batch, self.files)

    def official_extra(self, trainer) -> dict[str, dict[str, torch.Tensor]]:
        vgg = getattr(trainer.pix2pix_model, "criterionVGG", None)
        return {"vgg": vgg.vgg.state_dict()} if vgg is not None else {}

    def side(self, side: str, workdir: Path, args) -> Side:
        if side == "ganforge":
            return ganforge_side(self, workdir, args)
        trainer = self.build_official(workdir, args)
        files = {name: torch.load(workdir / "weights" / name, weights_only=True)
                 for name in self.official_files(trainer)}
        for name, sd in files.items():
            self.official_network(trainer, name).load_state_dict(sd)
        self.official_loaded(trainer, torch.load(workdir / "extra.pt", weights_only=True))
        return self.official_side(trainer.pix2pix_model, trainer, torch.load(workdir / "batch.pt", weights_only=True))

    def official_network(self, trainer, file_name: str) -> torch.nn.Module:
        return getattr(trainer.pix2pix_model, "net" + file_name.split("_net_")[1][:-4])

    def official_loaded(self, trainer, extra: dict[str, dict[str, torch.Tensor]]) -> None:
        """Load what `official_extra` saved (the VGG loss's weights)."""
        if "vgg" in extra:
            trainer.pix2pix_model.criterionVGG.vgg.load_state_dict(extra["vgg"])


def write_dataset(root: Path, batch: dict[str, torch.Tensor], files: dict[str, str]) -> None:
    """Two copies of the batch in the dataset's layout: the ganforge trainer's loader checks
    the folder and reads the data's facts (label_nc, resolution) from it; the benchmark
    then feeds the batch itself to both sides."""
    from PIL import Image

    image = ((batch["image"][0].permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).byte().numpy()
    for i in range(2):
        for field, array in (("image", image), ("label", batch["file_ids"].numpy())):
            path = root / files[field].format(i=i)
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(array).save(path)


def ade20k_batch(seed: int, dontcare_last: bool) -> dict[str, torch.Tensor]:
    """A 256x256 ADE20K-like batch: 16x16-pixel regions of random file ids 0..150 (0 =
    'other'), as SPADE (ids - 1, 'other' -> 150) or CoCosNet (file ids) read them."""
    rng = np.random.default_rng(0)
    raw = np.kron(rng.integers(0, 151, (16, 16)), np.ones((16, 16), np.int64))
    ids = np.where(raw == 0, 150, raw - 1) if dontcare_last else raw
    image = torch.rand(1, 3, 256, 256, generator=torch.Generator().manual_seed(seed)) * 2 - 1
    return {"label": torch.from_numpy(ids)[None], "image": image, "file_ids": torch.from_numpy(raw.astype(np.uint8))}


class Spade(Paper):
    name, config, importer = "spade", "plugins/spade/configs/ade20k.yaml", "spade"
    trained_roles = ("generator", "discriminator")
    files = {"image": "images/training/ADE_train_{i:08d}.png", "label": "annotations/training/ADE_train_{i:08d}.png"}

    def official_argv(self, args) -> list[str]:
        return ["--dataset_mode", "ade20k", "--gpu_ids", "-1", "--batchSize", "1"] + ([] if args.vgg else
                                                                                      ["--no_vgg_loss"])

    def make_batch(self, seed: int = 1) -> dict[str, torch.Tensor]:
        return ade20k_batch(seed, dontcare_last=True)

    def official_files(self, trainer) -> dict[str, dict[str, torch.Tensor]]:
        model = trainer.pix2pix_model
        return {"latest_net_G.pth": model.netG.state_dict(), "latest_net_D.pth": model.netD.state_dict()}

    def ganforge_config(self, cfg: dict, args) -> None:
        cfg["strategy"]["vgg"] = {"type": "vgg19_perceptual", "weights": "none"} if args.vgg else None
        if "lookup" in args.overrides:
            cfg["models"]["generator"]["norm"]["lookup"] = args.overrides["lookup"]
            cfg["models"]["discriminator"]["lookup"] = args.overrides["lookup"]

    def official_data(self, batch) -> dict[str, Any]:
        return {"label": batch["label"][:, None].float(), "instance": torch.zeros(1), "image": batch["image"],
                "path": ["x"]}

    def official_side(self, model, trainer, batch) -> Side:
        data = self.official_data(batch)

        def step() -> dict[str, float]:
            trainer.run_generator_one_step(dict(data))  # train.py's order, and ganforge's
            trainer.run_discriminator_one_step(dict(data))
            return {k: float(v.detach().mean()) for k, v in trainer.get_latest_losses().items()}

        def output() -> torch.Tensor:
            semantics, real = model.preprocess_input(dict(data))
            return self.official_generate(model, semantics, real)

        return Side(step, output)

    def official_generate(self, model, semantics, real):
        return model.netG(semantics)


class Sean(Spade):
    """SEAN at its README's CelebAMask-HQ command: 19 classes, no instances, 256x256."""

    name, config, importer = "sean", "plugins/sean/configs/celebamask_hq.yaml", "sean"
    trained_roles = ("generator", "encoder", "discriminator")
    files = {"image": "train/images/{i}.png", "label": "train/labels/{i}.png"}

    def official_argv(self, args) -> list[str]:
        return ["--dataset_mode", "custom", "--label_dir", "x", "--image_dir", "x", "--label_nc", "19",
                "--no_instance", "--load_size", "256", "--crop_size", "256", "--gpu_ids", "-1", "--batchSize", "1"]

    def make_batch(self, seed: int = 1) -> dict[str, torch.Tensor]:
        """Face-part-like regions: 32x32-pixel blocks of random ids 0..18."""
        rng = np.random.default_rng(0)
        ids = np.kron(rng.integers(0, 19, (8, 8)), np.ones((32, 32), np.int64))
        image = torch.rand(1, 3, 256, 256, generator=torch.Generator().manual_seed(seed)) * 2 - 1
        return {"label": torch.from_numpy(ids)[None], "image": image, "file_ids": torch.from_numpy(ids.astype(np.uint8))}

    def ganforge_config(self, cfg: dict, args) -> None:
        cfg["strategy"]["vgg"] = {"type": "vgg19_perceptual", "weights": "none"}

    def official_generate(self, model, semantics, real):
        return model.netG(semantics, real)


class CPUIds(list):
    """CoCosNet's ``opt.gpu_ids`` on a CPU: empty (no GPU code path), but ``[0]`` is "cpu"
    where its trainer moves modules to ``gpu_ids[0]`` unconditionally."""

    def __getitem__(self, i):
        return "cpu"


# CoCosNet's VGG19 layer -> its index in torchvision's vgg19().features (ganforge's layout)
VGG_CONVS = {f"conv{b}_{c}": i for (b, c), i in zip(
    [(1, 1), (1, 2), (2, 1), (2, 2), (3, 1), (3, 2), (3, 3), (3, 4), (4, 1), (4, 2), (4, 3), (4, 4), (5, 1), (5, 2)],
    [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30])}


class CoCosNet(Paper):
    """CoCosNet at its README's ADE20K command; batch 1, so the exemplar is the image itself
    (the official self-reference case, 30% of its samples; ganforge's pairing strategy does
    the same for a batch of one). The VGG19 of the losses gets the same (random) weights on
    both sides but keeps each side's input convention (the official BGR x 255 Caffe
    preprocessing vs ganforge's torchvision normalisation), so the VGG loss terms differ
    by design; the generator output and the other losses compare."""

    name, config, importer = "cocosnet", "plugins/cocosnet/configs/ade20k.yaml", "cocosnet"
    trained_roles = ("generator", "correspondence", "discriminator")
    files = Spade.files

    def official_argv(self, args) -> list[str]:
        return ["--dataset_mode", "ade20k", "--use_attention", "--maskmix", "--warp_mask_losstype", "direct",
                "--weight_mask", "100.0", "--PONO", "--PONO_C", "--vgg_normal_correct", "--batchSize", "1",
                "--gpu_ids", "-1"]

    def official_trainer(self, opt):
        from models.networks.correspondence import VGG19_feature_color_torchversion
        from trainers.pix2pix_trainer import Pix2PixTrainer

        real_load = torch.load

        def load(f, *a, **k):  # the Caffe VGG19 file is not shipped: random weights stand in (set later)
            return VGG19_feature_color_torchversion().state_dict() if str(f).endswith("vgg19_conv.pth") else \
                real_load(f, *a, **k)

        torch.load, opt.gpu_ids = load, CPUIds()
        try:
            return Pix2PixTrainer(opt)
        finally:
            torch.load = real_load

    def make_batch(self, seed: int = 1) -> dict[str, torch.Tensor]:
        return ade20k_batch(seed, dontcare_last=False)

    def official_files(self, trainer) -> dict[str, dict[str, torch.Tensor]]:
        return {f"latest_net_{n}.pth": self.official_network(trainer, f"latest_net_{n}.pth").state_dict()
                for n in ("G", "Corr", "D")}

    def official_network(self, trainer, file_name: str) -> torch.nn.Module:
        return trainer.pix2pix_model.net["net" + file_name.split("_net_")[1][:-4]]

    def official_extra(self, trainer) -> dict[str, dict[str, torch.Tensor]]:
        return {"cocosnet_vgg": trainer.pix2pix_model.vggnet_fix.state_dict()}

    def ganforge_config(self, cfg: dict, args) -> None:
        cfg["strategy"]["contextual"] = {"type": "cocosnet_contextual", "weights": "none"}

    def ganforge_extra(self, trainer, workdir: Path) -> None:
        """The official VGG19's conv<b>_<c> into ganforge's relu{1..5}_2 slices."""
        official = torch.load(workdir / "extra.pt", weights_only=True)["cocosnet_vgg"]
        (vgg,) = [s.contextual.vgg for s in trainer.strategies if hasattr(s, "contextual")]
        index = {int(k.split(".")[2]): k.rsplit(".", 1)[0] for k in vgg.state_dict()}
        vgg.load_state_dict({f"{index[i]}.{k.split('.')[1]}": v for k, v in official.items()
                             if (i := VGG_CONVS.get(k.split(".")[0])) is not None})

    def official_loaded(self, trainer, extra) -> None:
        trainer.pix2pix_model.vggnet_fix.load_state_dict(extra["cocosnet_vgg"])

    def official_side(self, model, trainer, batch) -> Side:
        label = batch["label"][:, None]
        data = {"label": label.float(), "image": batch["image"], "ref": batch["image"], "label_ref": label,
                "self_ref": torch.ones_like(batch["image"])}

        def step() -> dict[str, float]:
            trainer.run_generator_one_step(dict(data))  # train.py's order: D trains on this step's fake
            trainer.run_discriminator_one_step(dict(data))
            return {k: float(v.detach().mean()) for k, v in trainer.get_latest_losses().items()}

        def output() -> torch.Tensor:
            _, semantics, real, self_ref, ref, _, ref_semantics = model.preprocess_input(dict(data))
            return model.generate_fake(semantics, real, ref_semantics=ref_semantics, ref_image=ref,
                                       self_ref=self_ref)["fake_image"]

        return Side(step, output)


class ModuleAdapter(Paper):
    """A paper whose adapter is a module of ``benchmarks/official_adapters/`` (StarGAN v2,
    NICE-GAN): ``setup(workdir, vgg)`` and ``side(side, workdir, vgg, overrides)`` ->
    ``(step, forward)``, ``forward`` giving named probe outputs. Their outputs are
    compared before any step (checked against ``--tol``) and again after the first
    (warm-up) iteration, where both trainers have stepped (reported only: one Adam step
    from betas (0, 0.99) or (0.5, 0.999) moves every weight by about lr x the sign of its
    gradient, so fp32 rounding in near-zero gradients becomes whole lr-sized moves; the
    same code run with two threads instead of one lands as far apart, docs/benchmarks.md)."""

    compare_after_step = True

    def __init__(self, name: str, setup: Callable, side: Callable) -> None:
        self.name, self.module_setup, self.module_side = name, setup, side

    def setup(self, workdir: Path, args) -> None:
        self.module_setup(workdir, args.vgg)

    def side(self, side: str, workdir: Path, args) -> Side:
        step, forward = self.module_side(side, workdir, args.vgg, args.overrides)
        return Side(lambda: step() or {}, forward)


def _module_adapters() -> list[Paper]:
    sys.path.insert(0, str(HERE.parent))
    from official_adapters import PAPERS as MODULES

    return [ModuleAdapter(name, *functions) for name, functions in MODULES.items()]


PAPERS: dict[str, Paper] = {p.name: p for p in (Spade(), Sean(), CoCosNet(), *_module_adapters())}


def max_difference(a, b) -> float:
    """Largest |a - b| over a tensor or a dict of named tensors."""
    if isinstance(a, dict):
        return max(max_difference(a[k], b[k]) for k in a)
    return float((a - b).abs().max())


# ---------------------------------------------------------------------------- driver

def profiled(step: Callable[[], Any]) -> dict:
    """One call of ``step`` under the CPU profiler: per op (``key``) its self and total CPU
    time (ms) and calls, the top op/input-shape pairs, and the step's CPU time."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        c0 = time.process_time()
        step()
        cpu = time.process_time() - c0
    ops = {e.key: {"self_ms": e.self_cpu_time_total / 1e3, "total_ms": e.cpu_time_total / 1e3, "count": e.count}
           for e in prof.key_averages()}
    by_shape = sorted(prof.key_averages(group_by_input_shape=True), key=lambda e: -e.self_cpu_time_total)[:60]
    shapes = [{"op": e.key, "shapes": str(e.input_shapes), "self_ms": e.self_cpu_time_total / 1e3, "count": e.count}
              for e in by_shape]
    return {"cpu": cpu, "ops": ops, "by_shape": shapes}


def worker(args) -> None:
    torch.set_num_threads(1)
    workdir = Path(args.workdir)
    if args.side == "setup":  # its own process: the driver never imports the official code
        PAPERS[args.paper].setup(workdir, args)
        return print("RESULT {}")
    torch.manual_seed(0)
    if args.side == "official" and args.official_host_memory == "keep":  # as the ganforge trainer can
        from ganforge.trainer.host_memory import set_host_memory
        note = set_host_memory("keep")
        if note:
            sys.exit(f"error: {note}")
    paper = PAPERS[args.paper]
    side = paper.side(args.side, workdir, args)

    def save_output(name: str) -> None:
        with torch.no_grad():
            torch.save(side.output(), workdir / f"{name}-{args.side}.pt")

    save_output("out")  # from the shared weights, before any step
    losses = None
    for i in range(args.warmup):
        logs = side.step()
        losses = losses or logs
        if i == 0 and paper.compare_after_step:
            save_output("after")
    if args.profile:
        return print("RESULT " + json.dumps(profiled(side.step)))
    cpu, wall = [], []
    for _ in range(args.steps):
        c0, w0 = time.process_time(), time.perf_counter()
        logs = side.step()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        losses = losses or logs
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20  # KiB -> GiB
    print("RESULT " + json.dumps({"cpu": statistics.median(cpu), "wall": statistics.median(wall), "rss_gib": rss,
                                  "cpu_all": cpu, "wall_all": wall, "first_losses": losses}))


def run_side(args, side: str, workdir: Path) -> dict:
    cmd = [sys.executable, str(HERE), args.paper, "--official", str(args.official), "--side", side,
           "--workdir", str(workdir), "--steps", str(args.steps), "--warmup", str(args.warmup),
           "--batch", str(args.batch), "--size", str(args.size)]
    cmd += sum((["--set", kv] for kv in args.set), []) + ([] if args.vgg else ["--no-vgg"])
    cmd += ["--official-host-memory", args.official_host_memory] + (["--host-memory", args.host_memory]
                                                                      if args.host_memory else [])
    cmd += ["--profile"] if args.profile and side != "setup" else []
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if out.returncode or not line:
        sys.exit(f"error: the {side} worker failed:\n{out.stderr[-3000:]}")
    return json.loads(line[-1][7:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paper", choices=sorted(PAPERS))
    parser.add_argument("--official", type=Path, required=True, help="local checkout of the official repository")
    parser.add_argument("--no-vgg", dest="vgg", action="store_false", help="SPADE: without the VGG loss")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=2, help="timed iterations per round")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--tol", type=float, default=1e-4, help="largest output difference accepted as equal")
    parser.add_argument("--set", action="append", default=[], help="ganforge override KEY=JSON (lookup=false)")
    parser.add_argument("--json", type=Path, help="write the results here too")
    parser.add_argument("--batch", type=int, default=2, help="StarGAN v2: batch size (official AFHQ: 8)")
    parser.add_argument("--host-memory", choices=("keep", "release"),
                        help="ganforge side: train.host_memory (default: the trainer's default)")
    parser.add_argument("--official-host-memory", choices=("keep", "release"), default="release",
                        help="official side: release = as shipped (glibc's default); keep = the same mallopt "
                             "settings as ganforge's train.host_memory keep")
    parser.add_argument("--size", type=int, default=256, help="StarGAN v2, NICE-GAN: image side (profiles)")
    parser.add_argument("--profile", action="store_true", help="profile one iteration per side (after --warmup)")
    parser.add_argument("--top", type=int, default=40, help="--profile: ops shown")
    parser.add_argument("--side", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.json = args.json.resolve() if args.json else None
    args.overrides = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    os.environ["VS_OFFICIAL"] = str(args.official.resolve())
    os.environ["VS_BATCH"] = str(args.batch)
    os.environ["VS_SIZE"] = str(args.size)
    if args.side:
        return worker(args)
    if args.profile:
        return profile_main(args)

    if PAPERS[args.paper].compare_after_step and args.warmup < 1:
        sys.exit(f"error: --warmup must be at least 1 for {args.paper} (its outputs are also compared after it)")
    torch.set_num_threads(1)
    load_before = os.getloadavg()
    results: dict[str, list] = {"official": [], "ganforge": []}
    diffs, after = [], []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        run_side(args, "setup", workdir)
        for r in range(args.rounds):
            order = ("official", "ganforge") if r % 2 == 0 else ("ganforge", "official")
            for side in order:
                res = run_side(args, side, workdir)
                results[side].append(res)
                print(f"round {r} {side:<9} cpu {res['cpu']:.2f} s/it  wall {res['wall']:.2f} s/it  "
                      f"peak RSS {res['rss_gib']:.2f} GiB  first losses {fmt(res['first_losses'])}", flush=True)
            diffs.append(output_difference(workdir, "out"))
            print(f"round {r} max |official - ganforge| of the outputs = {diffs[-1]:.2e}", flush=True)
            if PAPERS[args.paper].compare_after_step:
                after.append(output_difference(workdir, "after"))
                print(f"round {r} the same after one training iteration = {after[-1]:.2e} (reported, not checked)",
                      flush=True)
            summarize(args, results, diffs, after, load_before)
    summary = summarize(args, results, diffs, after, load_before)
    print(json.dumps({k: v for k, v in summary.items() if k != "per_round"}, indent=1))
    if not summary["equal_outputs"]:
        sys.exit(f"error: the outputs differ by {max(diffs):.2e} > --tol {args.tol}")


def output_difference(workdir: Path, name: str) -> float:
    return max_difference(*(torch.load(workdir / f"{name}-{s}.pt", weights_only=True) for s in ("official", "ganforge")))


def summarize(args, results: dict[str, list], diffs: list[float], after: list[float], load_before) -> dict:
    """Medians and ratios over the rounds done so far; written to ``--json`` after every
    round, so that a run stopped early keeps its finished rounds (``rounds_done``)."""
    med = {s: {k: statistics.median(x[k] for x in v) for k in ("cpu", "wall", "rss_gib")} for s, v in results.items()}
    ratios = [g["cpu"] / o["cpu"] for g, o in zip(results["ganforge"], results["official"])]
    summary = {"paper": args.paper, "vgg": args.vgg, "set": args.set, "rounds": args.rounds,
               "rounds_done": len(diffs), "steps": args.steps, "warmup": args.warmup,
               "host_memory": {"official": args.official_host_memory,
                               "ganforge": args.host_memory or train_default("host_memory")},
               "load_before": load_before, "max_output_diff": max(diffs), "output_diff_per_round": diffs,
               "output_diff_after_one_iteration": after,
               "equal_outputs": max(diffs) <= args.tol, "median": med,
               "cpu_ratio": med["ganforge"]["cpu"] / med["official"]["cpu"], "cpu_ratio_per_round": ratios,
               "wall_ratio": med["ganforge"]["wall"] / med["official"]["wall"], "per_round": results,
               "torch": torch.__version__, "cpu_model": cpu_model(), "load_after": os.getloadavg()}
    if args.json:
        tmp = args.json.with_name(args.json.name + ".tmp")
        tmp.write_text(json.dumps(summary, indent=1) + "\n")
        tmp.replace(args.json)
    return summary


def train_default(field: str):
    from ganforge.config import Train
    return Train.model_fields[field].default


def profile_main(args) -> None:
    """Setup, then each side once under the profiler (official first); the table of self
    CPU time per op, both sides, sorted by the larger of the two, and the output check."""
    if args.warmup < 1:
        sys.exit("error: --profile needs --warmup 1 or more (the first iteration allocates and caches)")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        run_side(args, "setup", workdir)
        res = {side: run_side(args, side, workdir) for side in ("official", "ganforge")}
        diff = output_difference(workdir, "out")
    print(profile_table(res["official"], res["ganforge"], args.top))
    print(f"max |official - ganforge| of the outputs = {diff:.2e} (before any step)")
    if args.json:
        summary = {"paper": args.paper, "vgg": args.vgg, "set": args.set, "batch": args.batch, "size": args.size,
                   "max_output_diff": diff, "torch": torch.__version__, "cpu_model": cpu_model(),
                   "load_after": os.getloadavg(), **res}
        args.json.write_text(json.dumps(summary, indent=1) + "\n")


def profile_table(official: dict, ganforge: dict, top: int) -> str:
    """Markdown: op | official self ms, share, calls | ganforge self ms, share, calls |
    difference (ms). The profiler's times are the thread's wall clock: on a loaded machine
    they exceed the process's CPU time, so read shares and call counts."""
    o, g = official["ops"], ganforge["ops"]
    none = {"self_ms": 0.0, "count": 0}
    keys = sorted(set(o) | set(g), key=lambda k: -max(o.get(k, none)["self_ms"], g.get(k, none)["self_ms"]))
    so, sg = sum(v["self_ms"] for v in o.values()), sum(v["self_ms"] for v in g.values())
    lines = [f"profiled iteration, CPU s: official {official['cpu']:.2f}, ganforge {ganforge['cpu']:.2f} "
             f"(ratio {ganforge['cpu'] / official['cpu']:.2f}; profiler overhead included)",
             "| op | official self ms | share | calls | ganforge self ms | share | calls | ganforge - official ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for k in keys[:top]:
        a, b = o.get(k, none), g.get(k, none)
        lines.append(f"| {k} | {a['self_ms']:.1f} | {100 * a['self_ms'] / so:.1f}% | {a['count']} | "
                     f"{b['self_ms']:.1f} | {100 * b['self_ms'] / sg:.1f}% | {b['count']} | "
                     f"{b['self_ms'] - a['self_ms']:+.1f} |")
    lines.append(f"| all ops | {so:.1f} | 100% | {sum(v['count'] for v in o.values())} | {sg:.1f} | 100% | "
                 f"{sum(v['count'] for v in g.values())} | {sg - so:+.1f} |")
    return "\n".join(lines)


def fmt(losses: dict[str, float] | None) -> str:
    return "{" + ", ".join(f"{k} {v:.4g}" for k, v in (losses or {}).items()) + "}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    main()

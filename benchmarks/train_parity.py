"""One-step (and three-step) train-mode parity of ganforge's recipes with the official trainers.

    python benchmarks/train_parity.py nice_gan --official /work/ext/NICE-GAN-pytorch
    python benchmarks/train_parity.py spade --official /work/ext/SPADE
    python benchmarks/train_parity.py spade --official ... --precision fp64 --set vgg=true --detail 3
    python benchmarks/train_parity.py nice_gan --official ... --write-fixture   # refresh the test's golden values

The official repository is a local checkout given by path (never vendored). Both sides
start from the same seeded weights (`ganforge.testing.parity.seeded_state` over the
official networks' key list), saved in the official checkpoint layout: the official
trainer loads them with ``load_state_dict``, ganforge brings them in with ``ganforge
import`` and ``train --init``. Both train in train mode on the same batch, with their own
optimisers, for ``--steps`` full training steps (D and G updates in each trainer's order),
and the script compares every loss term each step and every weight after step 1 and the
last step. The official side runs its own code: NICE-GAN's ``NICE.train()`` loop as it is
(its loaders replaced by one fixed batch; each MSE/L1 term recorded as it is computed),
SPADE's ``Pix2PixTrainer.run_generator_one_step`` / ``run_discriminator_one_step`` as its
``train.py`` calls them. Modules the official code imports only for images, FLOP counts
or option pickling (cv2, thop, dill) are stubbed, and SPADE's missing ``sync_batchnorm``
submodule is ``nn.BatchNorm2d`` (what it computes in one CPU process).

Each run is fp32 (the trainers' own precision) or fp64 (both sides in float64: what
differs then is not rounding); a paper lists the precisions its fixture holds, with
options per precision (SPADE's fp64 run leaves out the VGG loss, slow in float64).

``--write-fixture`` writes the official numbers (seed, options, shapes, key list, the
ganforge config, losses per step, weight checksums per step) to the plugin's
``tests/data/train_parity.json``, which ``tests/test_train_parity.py`` checks ganforge
against without the official code.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import types
from pathlib import Path

import torch

from ganforge.testing.parity import layout_of

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
SEED = 0
STEPS = 3


@contextlib.contextmanager
def official_code(path: Path, stubs: dict[str, types.ModuleType], workdir: Path):
    """The official checkout importable, modules it imports only for I/O stubbed, cwd in
    ``workdir``; everything restored afterwards."""
    saved_path, saved_cwd, saved_argv = list(sys.path), os.getcwd(), list(sys.argv)
    before = set(sys.modules)
    sys.path.insert(0, str(path))
    for name, module in stubs.items():
        sys.modules.setdefault(name, module)
    os.chdir(workdir)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:], sys.argv[:] = saved_path, saved_argv
        for name in set(sys.modules) - before:  # the official modules (main, NICE, models ...) and the stubs
            if name in stubs or str(getattr(sys.modules[name], "__file__", None) or "").startswith(str(path)):
                del sys.modules[name]


def stub(name: str, **attrs) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    return module


class Recorder:
    """Wraps a loss module: records each value it returns, in call order."""

    def __init__(self, loss, log: list[float]):
        self.loss, self.log = loss, log

    def __call__(self, *args):
        out = self.loss(*args)
        self.log.append(out.item())
        return out


class FixedLoader:
    """A loader yielding one fixed batch per pass, whose iterators have the ``next()``
    method of the torch versions the official loop was written for."""

    class _It:
        def __init__(self, items):
            self._it = iter(items)

        def next(self):
            return next(self._it)

        __next__ = next

    def __init__(self, batch):
        self.items = [(batch, torch.zeros(batch.shape[0], dtype=torch.long))]

    def __iter__(self):
        return self._It(self.items)


# ---------------------------------------------------------------------------- NICE-GAN

NICE_OPTS = {"img_size": 64, "ch": 8, "n_res": 2, "n_dis": 6, "light": True, "batch_size": 2}
NICE_ENTRIES = {"gen2B": "generator_ab", "gen2A": "generator_ba", "disA": "discriminator_a", "disB": "discriminator_b"}
# the official MSE terms in the order NICE.py computes them (its D step, then its G step)
NICE_D_TERMS = [f"D_{head}{d}_{kind}" for d, head in [("A", "G"), ("A", "L"), ("B", "G"), ("B", "L"), ("A", "cam"),
                                                       ("B", "cam")] for kind in ("real", "fake")]
NICE_G_MSE = ["G_GA", "G_LA", "G_GB", "G_LB", "G_camA", "G_camB"]
NICE_G_L1 = ["G_cycle_A", "G_cycle_B", "G_recon_A", "G_recon_B"]


def nice_args(opts: dict, steps: int) -> list[str]:
    return ["main.py", "--phase", "train", "--dataset", "parity", "--device", "cpu", "--light", str(opts["light"]),
            "--img_size", str(opts["img_size"]), "--ch", str(opts["ch"]), "--n_res", str(opts["n_res"]),
            "--n_dis", str(opts["n_dis"]), "--batch_size", str(opts["batch_size"]), "--iteration", str(steps),
            "--print_freq", "100000", "--save_freq", "100000", "--decay_flag", "False", "--result_dir", "results"]


def nice_official(official: Path, opts: dict, seeded, batch: dict, steps: int, workdir: Path):
    """NICE-GAN's NICE.train() loop; (official layout, per-step named loss terms, per-step
    official state_dicts), the weights being ``seeded(layout)``."""
    from PIL import Image

    for folder in ("trainA", "trainB", "testA", "testB"):  # build_model's ImageFolders need one image each
        (workdir / "dataset/parity" / folder).mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8)).save(workdir / "dataset/parity" / folder / "0.png")
    stubs = {"cv2": stub("cv2"),  # utils.py imports it to write sample images (print_freq never reached)
             "thop": stub("thop", profile=lambda model, inputs: (0, 0), clever_format=lambda x, fmt: x)}  # FLOP print
    with official_code(official, stubs, workdir):
        sys.argv = nice_args(opts, steps)
        import main as official_main
        from NICE import NICE

        args = official_main.parse_args()
        gan = NICE(args)
        gan.build_model()
        layout = layout_of({entry: getattr(gan, entry).state_dict() for entry in NICE_ENTRIES})
        state = seeded(layout)
        for entry in NICE_ENTRIES:
            getattr(gan, entry).load_state_dict(state[entry])
            if batch["A"].dtype == torch.float64:  # fp64 run
                getattr(gan, entry).double()
        gan.trainA_loader, gan.trainB_loader = FixedLoader(batch["A"]), FixedLoader(batch["B"])
        mse, l1, states = [], [], []
        gan.MSE_loss, gan.L1_loss = Recorder(gan.MSE_loss, mse), Recorder(gan.L1_loss, l1)
        g_step = gan.G_optim.step

        def step_and_snapshot(*a, **k):  # the G update ends an iteration
            out = g_step(*a, **k)
            states.append({e: {k: v.detach().clone() for k, v in getattr(gan, e).state_dict().items()}
                           for e in NICE_ENTRIES})
            return out

        gan.G_optim.step = step_and_snapshot
        gan.train()
    per = len(NICE_D_TERMS) + len(NICE_G_MSE)
    terms = []
    for s in range(steps):
        m, l = mse[s * per:(s + 1) * per], l1[s * len(NICE_G_L1):(s + 1) * len(NICE_G_L1)]
        terms.append(dict(zip(NICE_D_TERMS + NICE_G_MSE + NICE_G_L1, m + l)))
    return layout, terms, states


def nice_as_ganforge_logs(t: dict) -> dict[str, float]:
    """The official terms grouped as ganforge logs them (adv_weight 1, cycle and recon 10)."""
    out = {f"d_{kind}_{d.lower()}": t[f"D_G{d}_{kind}"] + t[f"D_L{d}_{kind}"] + t[f"D_cam{d}_{kind}"]
           for d in "AB" for kind in ("real", "fake")}
    out.update({"g_adv_ab": t["G_GB"] + t["G_LB"] + t["G_camB"], "g_adv_ba": t["G_GA"] + t["G_LA"] + t["G_camA"],
                "g_cyc_ab": t["G_cycle_A"], "g_cyc_ba": t["G_cycle_B"],
                "g_rec_ab": t["G_recon_A"], "g_rec_ba": t["G_recon_B"]})
    out["d_loss"] = sum(v for k, v in out.items() if k.startswith("d_"))
    out["g_loss"] = (out["g_adv_ab"] + out["g_adv_ba"] + 10 * (out["g_cyc_ab"] + out["g_cyc_ba"])
                     + 10 * (out["g_rec_ab"] + out["g_rec_ba"]))
    return out


def nice_ganforge_config(opts: dict) -> dict:
    g = {"type": "nice_gan", "ch": opts["ch"], "n_res": opts["n_res"], "light": opts["light"]}
    d = {"type": "nice_gan", "ch": opts["ch"], "n_dis": opts["n_dis"]}
    adam = {"lr": 0.0001, "betas": [0.5, 0.999], "weight_decay": 0.0001}  # main.py's defaults
    return {"data": {"type": "synthetic", "resolution": opts["img_size"], "num_domains": 2, "fields": ["domain"],
                     "length": 4},
            "models": {"generator_ab": g, "generator_ba": g, "discriminator_a": d, "discriminator_b": d},
            "strategy": {"type": "nice_gan", "adv_weight": 1.0, "cycle_weight": 10.0, "recon_weight": 10.0},
            "optim": {"generator": adam, "discriminator": adam}, "schedule": {"type": "constant"},
            "train": {"steps": STEPS, "batch_size": 2 * opts["batch_size"], "device": "cpu", "precision": "fp32",
                      "sample_every": 0, "checkpoint_every": 0, "sample_size": 1, "num_workers": 0}}


def nice_batch(opts: dict) -> dict:
    """trainA's and trainB's batch (the official loop takes one of each)."""
    shape = [opts["batch_size"], 3, opts["img_size"], opts["img_size"]]
    return {"A": {"shape": shape, "kind": "image"}, "B": {"shape": shape, "kind": "image"}}


def nice_ganforge_batch(batch: dict) -> dict[str, torch.Tensor]:
    n = batch["A"].shape[0]
    return {"image": torch.cat([batch["A"], batch["B"]]), "domain": torch.tensor([0] * n + [1] * n)}


def nice_to_official(role: str, net) -> dict:
    from ganforge_nice_gan.convert import to_official
    return to_official(net)


PAPERS: dict[str, dict] = {}
PAPERS["nice_gan"] = {
    "opts": NICE_OPTS, "importer": "nice_gan", "entries": NICE_ENTRIES, "file": "params_0000000.pt",
    "official": nice_official, "config": nice_ganforge_config, "batch": nice_batch,
    "ganforge_batch": nice_ganforge_batch, "group": nice_as_ganforge_logs, "to_official": nice_to_official,
    "fixture": ROOT / "plugins/nice_gan/tests/data/train_parity.json", "precisions": ["fp32"],
}


# ---------------------------------------------------------------------------- SPADE

SPADE_OPTS = {"crop_size": 32, "ngf": 8, "ndf": 8, "batch_size": 2, "vgg": True}
SPADE_ENTRIES = {"G": "generator", "D": "discriminator"}
SPADE_FILES = {"G": "latest_net_G.pth", "D": "latest_net_D.pth"}


def spade_label_nc(opts: dict) -> int:
    """The synthetic world's classes (the label map's channels on both sides)."""
    from ganforge.config import from_dict, verify

    exp = from_dict(spade_ganforge_config(opts, label_nc=None), source="parity", trusted=True)
    return verify(exp, source="parity").label_nc


def spade_ganforge_config(opts: dict, label_nc: int | None = None, vgg_path: str = "vgg19.pth") -> dict:
    """ade20k.yaml's networks and objective at the tiny options, on label maps of the
    synthetic world's classes (no instance edges, no don't-care channel)."""
    return {"data": {"type": "synthetic", "resolution": opts["crop_size"], "num_domains": 1, "fields": ["label"],
                     "length": 4},
            "models": {"generator": {"type": "spade", "ngf": opts["ngf"], "num_upsampling_layers": "normal",
                                     "use_instance": False,
                                     "norm": {"type": "spade", "param_free_norm": "syncbatch", "use_instance": False}},
                       "discriminator": {"type": "multiscale_patch", "ndf": opts["ndf"], "n_layers": 4, "num_D": 2,
                                         "use_instance": False}},
            "strategy": {"type": "paired_conditional", "gan_loss": "hinge", "feat": "feature_matching",
                         "lambda_feat": 10.0,
                         "vgg": {"type": "vgg19_perceptual", "path": vgg_path} if opts["vgg"] else None,
                         "lambda_vgg": 10.0},
            "optim": {"generator": {"lr": 0.0001, "betas": [0.0, 0.9]},  # train_options: lr 2e-4, TTUR, (0, 0.9)
                      "discriminator": {"lr": 0.0004, "betas": [0.0, 0.9]}},
            "schedule": {"type": "constant"},
            "train": {"steps": STEPS, "batch_size": opts["batch_size"], "device": "cpu", "precision": "fp32",
                      "sample_every": 0, "checkpoint_every": 0, "sample_size": 1, "num_workers": 0}}


def spade_args(opts: dict, label_nc: int) -> list[str]:
    return ["train.py", "--dataset_mode", "custom", "--label_dir", ".", "--image_dir", ".", "--label_nc",
            str(label_nc), "--no_instance", "--load_size", str(opts["crop_size"]), "--crop_size",
            str(opts["crop_size"]), "--ngf", str(opts["ngf"]), "--ndf", str(opts["ndf"]), "--batchSize",
            str(opts["batch_size"]), "--gpu_ids", "-1", "--checkpoints_dir", "checkpoints", "--name", "parity",
            *([] if opts["vgg"] else ["--no_vgg_loss"])]


def spade_official(official: Path, opts: dict, seeded, batch: dict, steps: int, workdir: Path):
    """NVlabs/SPADE's Pix2PixTrainer, stepped as its train.py steps it (G, then D); (official
    layout, per-step loss terms, per-step official state_dicts), the weights ``seeded(layout)``."""
    import pickle

    import torchvision

    stubs = {"dill": pickle}  # util.py imports dill only to pickle the options
    if not (official / "models/networks/sync_batchnorm/__init__.py").exists():
        # a git submodule, often not checked out; in one CPU process SynchronizedBatchNorm2d
        # runs F.batch_norm exactly as nn.BatchNorm2d does
        stubs["models.networks.sync_batchnorm"] = stub("models.networks.sync_batchnorm",
                                                       SynchronizedBatchNorm2d=torch.nn.BatchNorm2d,
                                                       DataParallelWithCallback=None)
    real_vgg19, tensor_cuda, module_cuda = torchvision.models.vgg19, torch.Tensor.cuda, torch.nn.Module.cuda
    torchvision.models.vgg19 = lambda pretrained=False, **kw: real_vgg19(weights=None)  # loaded below, no download
    torch.Tensor.cuda = lambda self, *a, **k: self  # VGGLoss calls .cuda() unconditionally
    torch.nn.Module.cuda = lambda self, *a, **k: self
    label_nc = spade_label_nc(opts)
    try:
        with official_code(official, stubs, workdir):
            sys.argv = spade_args(opts, label_nc)
            from options.train_options import TrainOptions
            from trainers.pix2pix_trainer import Pix2PixTrainer

            with contextlib.redirect_stdout(sys.stderr):
                opt = TrainOptions().parse()
            trainer = Pix2PixTrainer(opt)
            model = trainer.pix2pix_model
            nets = {"G": model.netG, "D": model.netD, **({"vgg": model.criterionVGG.vgg} if opts["vgg"] else {})}
            layout = layout_of({entry: net.state_dict() for entry, net in nets.items()})
            state = seeded(layout)
            for entry, net in nets.items():
                net.load_state_dict(state[entry])
            if batch["image"].dtype == torch.float64:  # fp64 run: fp32 rounding out of the comparison
                for net in nets.values():
                    net.double()
                model.FloatTensor = model.criterionGAN.Tensor = torch.DoubleTensor
            data = {"label": batch["label"][:, None].float(), "instance": torch.zeros(1), "image": batch["image"],
                    "path": ["x"] * batch["image"].shape[0]}
            terms, states = [], []
            for _ in range(steps):  # train.py: D_steps_per_G 1
                trainer.run_generator_one_step(dict(data))
                trainer.run_discriminator_one_step(dict(data))
                terms.append({k: float(v.mean()) for k, v in trainer.get_latest_losses().items()})
                states.append({e: {k: v.detach().clone() for k, v in nets[e].state_dict().items()}
                               for e in SPADE_ENTRIES})
    finally:
        torchvision.models.vgg19, torch.Tensor.cuda, torch.nn.Module.cuda = real_vgg19, tensor_cuda, module_cuda
    return layout, terms, states


def spade_as_ganforge_logs(t: dict) -> dict[str, float]:
    """The official terms (GAN, GAN_Feat and VGG weighted by their lambdas in the official
    dict; D_Fake, D_real) under ganforge's log names (unweighted terms)."""
    out = {"g_gan": t["GAN"], "g_feat": t["GAN_Feat"] / 10, **({"g_vgg": t["VGG"] / 10} if "VGG" in t else {}),
           "d_fake": t["D_Fake"], "d_real": t["D_real"]}
    out["g_loss"] = t["GAN"] + t["GAN_Feat"] + t.get("VGG", 0.0)
    out["d_loss"] = t["D_Fake"] + t["D_real"]
    return out


def spade_batch(opts: dict) -> dict:
    size = opts["crop_size"]
    return {"label": {"shape": [opts["batch_size"], size, size], "kind": "labels", "classes": spade_label_nc(opts)},
            "image": {"shape": [opts["batch_size"], 3, size, size], "kind": "image"}}


def spade_files(state: dict) -> dict:
    """latest_net_G.pth, latest_net_D.pth, and the VGG19 in torchvision's layout
    (SPADE's ``sliceK.i`` is ``features.i``) for the loss's ``path``."""
    files = {SPADE_FILES[e]: state[e] for e in SPADE_ENTRIES}
    if "vgg" in state:
        files["vgg19.pth"] = {"features." + k.split(".", 1)[1]: v for k, v in state["vgg"].items()}
    return files


def spade_to_official(role: str, net) -> dict:
    from ganforge_spade.convert import to_official
    return to_official(net)


PAPERS["spade"] = {
    "opts": SPADE_OPTS, "importer": "spade", "entries": SPADE_ENTRIES, "files": spade_files,
    "imports": list(SPADE_FILES.values()), "official": spade_official,
    "config": lambda opts: spade_ganforge_config(opts, spade_label_nc(opts)), "batch": spade_batch,
    "ganforge_batch": lambda batch: dict(batch), "group": spade_as_ganforge_logs, "to_official": spade_to_official,
    "fixture": ROOT / "plugins/spade/tests/data/train_parity.json", "precisions": ["fp32", "fp64"],
    "precision_opts": {"fp64": {"vgg": False}},  # VGG19 in float64 would make the fixture's test slow
}


# ---------------------------------------------------------------------------- driver

def files_for(paper: dict, state: dict) -> dict:
    """The official checkpoint file(s) holding ``state``."""
    return paper["files"](state) if "files" in paper else {paper["file"]: state}


def run_both(paper: dict, args, precision: str) -> dict:
    """Both trainers from the same seeded weights and batch at ``precision`` (fp32, or
    fp64 to take fp32 rounding out of the comparison)."""
    from ganforge.testing.parity import in_float64, seeded_batch, seeded_state, train_from_official

    double = precision == "fp64"
    opts = {**paper["opts"], **paper.get("precision_opts", {}).get(precision, {}), **args.set}
    batch_spec = paper["batch"](opts)
    batch = seeded_batch(batch_spec, args.seed + 1)
    if double:
        batch = {k: v.double() if v.is_floating_point() else v for k, v in batch.items()}
    state: dict = {}

    def seed(layout):
        state.update(seeded_state(layout, args.seed))
        return state

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "official").mkdir()
        layout, terms, official_states = paper["official"](args.official.resolve(), opts, seed, batch, args.steps,
                                                           tmp / "official")
        config = paper["config"](opts)  # as the fixture stores it
        run_config = json.loads(json.dumps(config))
        if run_config["strategy"].get("vgg"):
            run_config["strategy"]["vgg"]["path"] = str(tmp / "ganforge" / "vgg19.pth")
        logs, ours = train_from_official(run_config, paper["importer"], files_for(paper, state),
                                         paper["ganforge_batch"](batch), args.steps, tmp / "ganforge",
                                         paper["to_official"], imports=paper.get("imports"),
                                         prepare=in_float64 if double else None)
    return {"opts": opts, "config": config, "batch_spec": batch_spec, "layout": layout, "state": state,
            "terms": terms, "official_states": official_states, "logs": logs, "ours": ours}


def report(paper: dict, args, precision: str, r: dict) -> dict:
    """Print and return the differences of one run, step by step."""
    from ganforge.testing.parity import checksum, relative_difference

    state, out = r["state"], {"precision": precision, "steps": []}
    worst_loss, worst_weight = 0.0, 0.0
    print(f"== {args.paper}, {precision}")
    for s in range(args.steps):
        grouped = paper["group"](r["terms"][s])
        rows = {k: (v, r["logs"][s][k], relative_difference(v, r["logs"][s][k])) for k, v in grouped.items()}
        worst_loss = max(worst_loss, *(row[2] for row in rows.values()))
        print(f"step {s + 1}")
        for k, (o, g, d) in rows.items():
            print(f"  {k:<12} official {o:+.8e}  ganforge {g:+.8e}  rel diff {d:.1e}")
        weights = {}
        for entry, role in paper["entries"].items():
            off, gf, init = r["official_states"][s][entry], r["ours"][s][role], state[entry]
            floats = [k for k in off if off[k].is_floating_point()]
            diff = {k: (off[k].double() - gf[k].double()).abs() for k in floats}
            change = max(float((off[k].double() - init[k].double()).abs().max()) for k in floats)
            w = {"max_abs_diff": max(float(d.max()) for d in diff.values()), "max_abs_change": change,
                 "checksum_official": checksum(off, init, args.seed),
                 "checksum_ganforge": checksum(gf, init, args.seed)}
            worst_weight = max(worst_weight, w["max_abs_diff"] / change)
            weights[entry] = w
            print(f"  {entry:<6} max |W_official - W_ganforge| {w['max_abs_diff']:.1e} (largest change of a weight "
                  f"{change:.1e}); change checksums official {w['checksum_official']['sum_abs_change']:.6e} / "
                  f"{w['checksum_official']['projection']:+.6e}, ganforge "
                  f"{w['checksum_ganforge']['sum_abs_change']:.6e} / {w['checksum_ganforge']['projection']:+.6e}")
            for k in sorted(diff, key=lambda k: -float(diff[k].max()))[:args.detail]:
                m = float(diff[k].max())
                print(f"      {k}: max diff {m:.1e} in {int((diff[k] > m / 2).sum())} of {diff[k].numel()} elements")
        out["steps"].append({"losses": rows, "weights": weights})
    print(f"worst relative loss difference {worst_loss:.1e}; worst weight difference / largest change "
          f"{worst_weight:.1e}")
    out.update(worst_loss=worst_loss, worst_weight=worst_weight)
    return out


def fixture_run(paper: dict, args, r: dict) -> dict:
    """What a test needs of one official run: its losses and weight checksums per step."""
    from ganforge.testing.parity import checksum

    return {"options": r["opts"], "config": r["config"], "entries": list(r["layout"]),
            "losses": [paper["group"](t) for t in r["terms"]], "official_terms": r["terms"],
            "checksums": [{e: checksum(r["official_states"][s][e], r["state"][e], args.seed) for e in paper["entries"]}
                          for s in range(args.steps)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paper", choices=sorted(PAPERS))
    parser.add_argument("--official", type=Path, required=True, help="local checkout of the official repository")
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--precision", choices=("fp32", "fp64"), action="append",
                        help="fp32 (the trainers' own) and/or fp64 (both sides in float64: shows which differences "
                             "are fp32 rounding); default: the paper's fixture precisions")
    parser.add_argument("--set", action="append", default=[], metavar="OPTION=JSON",
                        help="change one of the paper's tiny options (e.g. vgg=true for SPADE's fp64 run)")
    parser.add_argument("--detail", type=int, default=0, help="print the N weights of each network that differ most")
    parser.add_argument("--json", type=Path, help="write the differences here")
    parser.add_argument("--write-fixture", action="store_true", help="write the plugin's tests/data/train_parity.json")
    args = parser.parse_args()
    args.set = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    torch.set_num_threads(1)
    paper = PAPERS[args.paper]
    precisions = args.precision or paper["precisions"]
    runs = {p: run_both(paper, args, p) for p in precisions}
    reports = [report(paper, args, p, r) for p, r in runs.items()]
    if args.json:
        args.json.write_text(json.dumps(reports, indent=1) + "\n")
    if args.write_fixture:
        first = next(iter(runs.values()))
        fixture = {
            "command": f"python benchmarks/train_parity.py {args.paper} --official PATH --write-fixture",
            "official": paper["official"].__doc__.split(";")[0].strip(),
            "seed": args.seed, "steps": args.steps, "batch": first["batch_spec"], "batch_seed": args.seed + 1,
            "layout": max((r["layout"] for r in runs.values()), key=len),  # every run's entries, in order
            "runs": {p: fixture_run(paper, args, r) for p, r in runs.items()},
        }
        paper["fixture"].parent.mkdir(parents=True, exist_ok=True)
        paper["fixture"].write_text(json.dumps(fixture, indent=1) + "\n")
        print(f"wrote {paper['fixture'].relative_to(ROOT)}")


if __name__ == "__main__":
    main()

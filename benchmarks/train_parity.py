"""One-step (and three-step) train-mode parity of ganforge's recipes with the official trainers.

    python benchmarks/train_parity.py nice_gan --official /work/ext/NICE-GAN-pytorch
    python benchmarks/train_parity.py spade --official /work/ext/SPADE
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
``train.py`` calls them.

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

import numpy as np
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
    "fixture": ROOT / "plugins/nice_gan/tests/data/train_parity.json",
}


# ---------------------------------------------------------------------------- driver

def files_for(paper: dict, state: dict) -> dict:
    """The official checkpoint file(s) holding ``state`` (one file with every entry)."""
    return {paper["file"]: state}


def compare(paper: dict, args) -> dict:
    from ganforge.testing.parity import (checksum, relative_difference, seeded_batch, seeded_state,
                                         train_from_official)

    opts = dict(paper["opts"])
    batch_spec = paper["batch"](opts)
    batch = seeded_batch(batch_spec, args.seed + 1)
    seeded = {}

    def seed(layout):
        seeded.update(seeded_state(layout, args.seed))
        return seeded

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "official").mkdir()
        layout, terms, official_states = paper["official"](args.official.resolve(), opts, seed, batch, args.steps,
                                                           tmp / "official")
        state = seeded
        logs, ours = train_from_official(paper["config"](opts), paper["importer"], files_for(paper, state),
                                         paper["ganforge_batch"](batch), args.steps, tmp / "ganforge",
                                         paper["to_official"])
    entries = paper["entries"]
    report = {"steps": []}
    worst_loss, worst_weight = 0.0, 0.0
    for s in range(args.steps):
        grouped = paper["group"](terms[s])
        rows = {k: (v, logs[s][k], relative_difference(v, logs[s][k])) for k, v in grouped.items()}
        worst_loss = max(worst_loss, *(r[2] for r in rows.values()))
        weights = {}
        for entry, role in entries.items():
            off, gf = official_states[s][entry], ours[s][role]
            diffs = [float((off[k].double() - gf[k].double()).abs().max()) for k in off if off[k].is_floating_point()]
            changes = [float((off[k].double() - state[entry][k].double()).abs().max())
                       for k in off if off[k].is_floating_point()]
            weights[entry] = {"max_abs_diff": max(diffs), "max_abs_change": max(changes),
                              "checksum_official": checksum(off, state[entry], args.seed),
                              "checksum_ganforge": checksum(gf, state[entry], args.seed)}
            worst_weight = max(worst_weight, max(diffs) / max(changes))
        report["steps"].append({"losses": rows, "weights": weights})
        print(f"step {s + 1}")
        for k, (o, g, r) in rows.items():
            print(f"  {k:<12} official {o:+.8e}  ganforge {g:+.8e}  rel diff {r:.1e}")
        for entry, w in weights.items():
            print(f"  {entry:<12} max |W_official - W_ganforge| {w['max_abs_diff']:.1e} "
                  f"(largest change of a weight this far {w['max_abs_change']:.1e}); checksums official "
                  f"{w['checksum_official']}, ganforge {w['checksum_ganforge']}")
    print(f"worst relative loss difference {worst_loss:.1e}; worst weight difference relative to the "
          f"largest change {worst_weight:.1e}")
    report.update(worst_loss=worst_loss, worst_weight=worst_weight)
    if args.write_fixture:
        fixture = {
            "command": f"python benchmarks/train_parity.py {args.paper} --official PATH --write-fixture",
            "official": paper["official"].__doc__.split(";")[0].strip() if paper["official"].__doc__ else "",
            "seed": args.seed, "steps": args.steps, "options": opts, "config": paper["config"](opts),
            "batch": batch_spec, "batch_seed": args.seed + 1,
            "layout": layout,
            "losses": [paper["group"](t) for t in terms],
            "official_terms": terms,
            "checksums": [{entry: checksum(official_states[s][entry], state[entry], args.seed)
                           for entry in entries} for s in range(args.steps)],
        }
        paper["fixture"].parent.mkdir(parents=True, exist_ok=True)
        paper["fixture"].write_text(json.dumps(fixture, indent=1) + "\n")
        print(f"wrote {paper['fixture'].relative_to(ROOT)}")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paper", choices=sorted(PAPERS))
    parser.add_argument("--official", type=Path, required=True, help="local checkout of the official repository")
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--write-fixture", action="store_true", help="write the plugin's tests/data/train_parity.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    np.random.seed(args.seed)
    compare(PAPERS[args.paper], args)


if __name__ == "__main__":
    main()

"""SEMIT's importer against the official networks (yaxingwang/SEMIT ``networks.py``), both ways.

    python benchmarks/semit_official.py --official /path/to/yaxingwang/SEMIT

The official repository is a local checkout given by path (never vendored). Its octave
mask calls ``.cuda()`` on every tensor; here that call returns the tensor, so everything
runs on the CPU. For the official ``FewShotGen`` (its 6 residual blocks) and
``GPPatchMcResDis`` at small widths:

1. ours, seeded, -> ``to_official`` -> the official network's ``load_state_dict(strict=True)``
   (the same key set and shapes, the never-read tensors included), and the official
   network, freshly initialised, -> ``from_official`` -> ours (nothing missing, nothing left);
2. both ways, the same inputs give the same outputs in eval mode: the generator's
   translation ``decode(enc_content(x), enc_class_model(y))`` at several octave ratios
   alpha, and the discriminator's class-selected patch scores and features.

Prints the largest absolute difference of each comparison and exits 1 if one exceeds 1e-5.
``--write-layout PATH`` also writes the official networks' key names and shapes (with the
params of ours that match them) as JSON: plugins/semit/tests/data/official_layout.json,
which the plugin's tests hold ``to_official`` to without the official code.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import torch

import ganforge
from ganforge_semit.convert import from_official, to_official

TOLERANCE = 1e-5


GENERATOR = {"type": "semit", "nf": 4, "n_res_blks": 6, "latent_dim": 8, "nf_mlp": 16, "n_mlp_blks": 3}
DISCRIMINATOR = {"type": "semit", "nf": 4, "n_res_blks": 4}
CLASSES = 3


def official_networks(root: Path, nf: int, classes: int):
    sys.path.insert(0, str(root))
    torch.Tensor.cuda = lambda self, *a, **k: self  # the octave mask and the D's index call .cuda()
    import networks

    gen = networks.FewShotGen({"nf": nf, "nf_mlp": 16, "n_downs_class": 4, "n_downs_content": 3,
                               "n_mlp_blks": 3, "n_res_blks": 6, "latent_dim": 8})
    dis = networks.GPPatchMcResDis({"nf": nf, "n_res_blks": 4, "num_classes": classes})
    return gen.eval(), dis.eval()


def our_networks(nf: int, classes: int):
    data = ganforge.DataInfo(fields=frozenset({"source", "exemplar", "class_label"}), resolution=(32, 32),
                             num_classes=classes)
    gen = ganforge.build("generator", {**GENERATOR, "nf": nf}, data)
    dis = ganforge.build("discriminator", {**DISCRIMINATOR, "nf": nf}, data)
    return gen.eval(), dis.eval()


def seed_(module: torch.nn.Module, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.1)


@torch.no_grad()
def compare(ours_g, ours_d, off_g, off_d) -> dict[str, float]:
    gen = torch.Generator().manual_seed(1)
    x, y = torch.rand(2, 3, 32, 32, generator=gen) * 2 - 1, torch.rand(2, 3, 32, 32, generator=gen) * 2 - 1
    label = torch.tensor([0, 2])
    out = {}
    for alpha in (0.0, 0.3, 0.5, 1.0):
        theirs = off_g.decode(off_g.enc_content(x, alpha_in=alpha, alpha_out=alpha),
                              off_g.enc_class_model(y, alpha_in=alpha, alpha_out=alpha), alpha)
        out[f"generator alpha={alpha}"] = float((ours_g.translate(x, y, alpha) - theirs).abs().max())
    score, feat = off_d(x, label)
    mine = ours_d(x, ganforge.Condition(class_label=label))
    out["discriminator scores"] = float((mine.scores[0][:, 0] - score).abs().max())
    out["discriminator features"] = float((mine.extra["features"] - feat).abs().max())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official", type=Path, required=True, help="checkout of yaxingwang/SEMIT")
    parser.add_argument("--write-layout", type=Path, help="JSON of the official key names and shapes")
    args = parser.parse_args()
    nf, classes = GENERATOR["nf"], CLASSES
    off_g, off_d = official_networks(args.official, nf, classes)
    if args.write_layout:
        layout = {"generator": GENERATOR, "discriminator": DISCRIMINATOR, "num_classes": CLASSES,
                  "keys": {role: {k: list(v.shape) for k, v in net.state_dict().items()}
                           for role, net in (("generator", off_g), ("discriminator", off_d))}}
        text = re.sub(r"\[\s*([\d,\s]*?)\s*\]", lambda m: "[" + re.sub(r"\s+", " ", m[1]) + "]",
                      json.dumps(layout, indent=1))  # one line per key
        args.write_layout.write_text(text + "\n")
    ours_g, ours_d = our_networks(nf, classes)
    worst = 0.0

    seed_(ours_g, 0), seed_(ours_d, 1)  # ours -> official
    off_g.load_state_dict(to_official(ours_g), strict=True)
    off_d.load_state_dict(to_official(ours_d), strict=True)
    for name, diff in compare(ours_g, ours_d, off_g, off_d).items():
        print(f"ours -> official  {name:28s} max |diff| {diff:.3g}")
        worst = max(worst, diff)

    off_g, off_d = official_networks(args.official, nf, classes)  # official (its own init) -> ours
    seed_(off_g, 2), seed_(off_d, 3)
    ours_g, ours_d = our_networks(nf, classes)
    ours_g.load_state_dict(from_official(ours_g, off_g.state_dict(), "official FewShotGen"))
    ours_d.load_state_dict(from_official(ours_d, off_d.state_dict(), "official GPPatchMcResDis"))
    for name, diff in compare(ours_g, ours_d, off_g, off_d).items():
        print(f"official -> ours  {name:28s} max |diff| {diff:.3g}")
        worst = max(worst, diff)
    print(f"worst {worst:.3g} (tolerance {TOLERANCE})")
    sys.exit(0 if worst <= TOLERANCE else 1)


if __name__ == "__main__":
    main()

"""Does a mix learn, not just run? For each docs/mixing/ file: its configured metrics
(eval.metrics, over eval.batches of the training data, EMA generator if any) before the
first step and after a short run, with the trainer's own evaluation.

    OMP_NUM_THREADS=1 python benchmarks/mixing_learns.py --steps 200 \\
        docs/mixing/sean_norm_in_smis.yaml docs/mixing/attentive_norm_in_spade.yaml ...
    # the same files with config overrides (the coupled variant of a reuse mix):
    OMP_NUM_THREADS=1 python benchmarks/mixing_learns.py --steps 200 \
        --set strategies.0.decoupled=false docs/mixing/reuse_in_stargan_v2.yaml

Prints one JSON line per file: {"mix", "steps", "set", "before", "after", "seconds"}.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from ganforge.config import load_config
from ganforge.trainer import Trainer


def measure(path: str, steps: int, overrides: list[str] = ()) -> dict:
    exp = load_config(path, [*overrides, f"train.steps={steps}", "train.sample_every=0", "train.checkpoint_every=0"])
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(exp, Path(tmp) / "run", show_progress=False)
        before = trainer.evaluate()
        start = time.perf_counter()
        trainer.fit()
        seconds = time.perf_counter() - start
        after = trainer.evaluate()
    return {"mix": Path(path).stem, "steps": steps, "set": list(overrides), "before": before, "after": after, "seconds": round(seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="+")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--set", action="append", default=[], dest="overrides", metavar="KEY=VALUE",
                        help="config override applied to every file (repeatable)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for path in args.configs:
        print(json.dumps(measure(path, args.steps, args.overrides)), flush=True)


if __name__ == "__main__":
    main()

"""CPU time of a `ganforge demo` candidate: train SPADE's synthetic.yaml with overrides.

    python benchmarks/demo_candidates.py OUT KEY=VALUE ...

Prints the process's CPU seconds (all threads) beside wall seconds: on a shared machine
only the CPU time says what the demo costs. Results: docs/results.md ("The demo").
"""

import sys
import time

from ganforge import registry
from ganforge.cli_train import train_command

CONFIG = "plugins/spade/configs/synthetic.yaml"

if __name__ == "__main__":
    registry.load()
    out, overrides = sys.argv[1], sys.argv[2:]
    cpu, wall = time.process_time(), time.time()
    train_command(CONFIG, ["train.device=cpu", *overrides], out, False, show_progress=False)
    print(f"cpu {time.process_time() - cpu:.1f} s wall {time.time() - wall:.1f} s", flush=True)

"""What a sample grid shows for a batch, the same for the trainer's grids and ``ganforge sample``."""

from __future__ import annotations

from typing import Any

import torch

from ..report.rows import Rows, conditional_rows
from ..run import Run


def sample_rows(hook: Any, run: Run, batch: dict[str, Any]) -> Rows | torch.Tensor:
    """The rows of a prepared batch: the recipe's ``ganforge_sample`` result, or, for a
    recipe without that hook, the core's conditional rows (label map, the EMA generator's
    images through the run's conditioning path `Run.generate`, the real images)."""
    images = hook.ganforge_sample(run=run, batch=batch)
    if images is None:
        with run.autocast():
            fake = run.generate(batch["cond"], batch.get("image"), sampling=True)
        images = conditional_rows(batch["cond"], fake.float(), batch.get("image"))
    return images

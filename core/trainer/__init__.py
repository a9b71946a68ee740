"""ganforge.trainer: one training loop for every paper.

``train(exp, run_dir)`` builds what a config describes and trains it; the recipe
(a Strategy) computes the losses, the trainer owns the rest (optimisers, schedules,
precision, EMA, R1, data parallelism, checkpoints, NaN guard, logs, samples, report).
``restore(run_or_ckpt)`` reopens a trained run for applications and evaluation.
"""

from .assemble import assemble, build_networks, parameter_counts
from .checkpoint import latest_checkpoint, list_checkpoints
from .checkpoint import load as load_checkpoint
from .checkpoint import NonFiniteCheckpoint
from .guard import NonFiniteLoss, NonFiniteState
from .loop import Trainer, train
from .restore import Restored, checkpoint_config, open_checkpoint, output_folder, restore, restore_networks

__all__ = ["train", "Trainer", "NonFiniteLoss", "NonFiniteState", "NonFiniteCheckpoint", "checkpoint_config",
           "assemble", "build_networks", "parameter_counts",
           "latest_checkpoint", "list_checkpoints", "load_checkpoint", "Restored", "open_checkpoint", "output_folder",
           "restore", "restore_networks"]

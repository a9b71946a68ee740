"""Device and numeric precision: the autocast dtype recipes use and the loss scalers.

bf16 needs no loss scaling (same exponent range as fp32) and runs on CPU and GPU; fp16
needs a `GradScaler`, which only exists for CUDA here, so fp16 on CPU is a config error.
"""

from __future__ import annotations

import torch

from ganforge.errors import ConfigError

DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
PHASES = ("discriminator", "generator")


def resolve_device(choice: str, local_rank: int = 0) -> torch.device:
    """``auto`` picks the GPU of this rank when there is one."""
    if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ConfigError("train.device: cuda was asked for but torch sees no CUDA device")
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def amp_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    if precision == "fp16" and device.type != "cuda":
        raise ConfigError("train.precision: fp16 needs a CUDA device (loss scaling); use bf16 on CPU")
    return DTYPES[precision]


def make_scalers(precision: str, device: torch.device) -> dict[str, torch.amp.GradScaler]:
    """One scaler per optimiser phase: each phase is its own scale/step/update cycle.
    Disabled scalers are pass-through, so the loop has one code path."""
    enabled = precision == "fp16"
    return {phase: torch.amp.GradScaler(device.type, enabled=enabled) for phase in PHASES}

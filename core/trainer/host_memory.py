"""Host-memory policy: whether glibc gives freed large blocks back to the OS or keeps them.

glibc serves a block above its mmap threshold (at most 32 MiB) with a fresh ``mmap`` and
unmaps it on free. A 64-channel activation at 256 px and batch 2 is 33.5 MB, so every such
temporary is mapped, zero-filled page by page on first touch (a minor fault per 4 KiB) and
unmapped again, in every step: about 20% of StarGAN v2's CPU time went to the kernel
(docs/benchmarks.md). ``keep`` turns that off (``M_MMAP_MAX`` 0: large blocks come from
the heap; ``M_TRIM_THRESHOLD`` at its maximum: the heap is not shrunk), so the next step
reuses the pages it already touched. It changes where memory comes from, never a computed
number; the price is that the process holds on to its peak heap (RSS stays near the peak,
plus fragmentation). ``release`` is glibc's behaviour.

The setting is process-wide (every tensor, every thread); other allocators (musl, macOS,
Windows) are left alone.
"""

from __future__ import annotations

import ctypes
import os
from typing import Literal

Policy = Literal["keep", "release"]

M_TRIM_THRESHOLD = -1  # <malloc.h>
M_MMAP_MAX = -4
KEEP = {M_MMAP_MAX: 0, M_TRIM_THRESHOLD: 2 ** 31 - 1}  # mallopt takes a C int
RELEASE = {M_MMAP_MAX: 65536, M_TRIM_THRESHOLD: 128 * 1024}  # glibc's DEFAULT_MMAP_MAX, DEFAULT_TRIM_THRESHOLD
NAMES = {M_MMAP_MAX: "M_MMAP_MAX", M_TRIM_THRESHOLD: "M_TRIM_THRESHOLD"}

_kept = False  # whether this process's allocator was set to keep


def glibc_version() -> str | None:
    """``"2.36"`` under glibc, None elsewhere."""
    try:
        name, _, version = (os.confstr("CS_GNU_LIBC_VERSION") or "").partition(" ")
    except (AttributeError, ValueError, OSError):
        return None
    return version if name == "glibc" else None


def set_host_memory(policy: Policy) -> str | None:
    """Apply ``policy`` to this process's allocator; a line to show the user when it could
    not be applied, else None.

    ``release`` undoes an earlier ``keep`` of this process by restoring glibc's default
    limits (the mmap threshold then stays where it was instead of adapting); in a process
    that never kept anything it touches nothing.
    """
    global _kept
    if policy == "release" and not _kept:
        return None
    if glibc_version() is None:
        return f"train.host_memory: {policy} applies to glibc's malloc only; this platform's allocator is left as it is"
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    for param, value in (KEEP if policy == "keep" else RELEASE).items():
        if mallopt(param, value) != 1:
            return f"train.host_memory: mallopt({NAMES[param]}, {value}) failed; the allocator may be only partly changed"
    _kept = policy == "keep"
    return None

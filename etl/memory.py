"""Give freed memory back to the operating system between the build's big steps."""

from __future__ import annotations

import ctypes
from typing import Any

import pyarrow as pa

_TRIM: Any = None


def release_memory() -> None:
    """Hand freed heap pages back to the OS (Arrow's pool, then glibc ``malloc_trim``).

    A build frees large per-table temporaries one after another; without this, the
    allocators keep them mapped and the process's resident size only ever grows.
    A no-op where glibc is not the C library.
    """
    global _TRIM
    pa.default_memory_pool().release_unused()
    if _TRIM is None:
        try:
            _TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _TRIM = False
    if _TRIM:
        _TRIM(0)


def limit_heap_growth() -> None:
    """Have glibc map big blocks (>= 128 KiB) on their own, so each is unmapped when freed.

    The build allocates and frees arrays of megabytes window after window; glibc's default
    (a dynamic threshold that rises to 32 MiB) keeps such blocks in the heap, where freed
    space is reused only partly and resident memory creeps up. Called once by the CLI.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD (fixed: disables the dynamic threshold)
    except (OSError, AttributeError):
        pass

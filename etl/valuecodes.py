"""Order-preserving 32-bit codes of raster values, and (key, code) packed into one uint64.

Sorting ``(key << 32) | code`` groups pixels by key (an H3 cell's index) with values ascending
in one numpy sort, and each value is recovered exactly from its code (``etl.h3stats`` sorts
every pixel this way). Rasters of 64-bit types do not fit in 32 bits: ``ValueCodec.fast`` is
false for them and the caller takes a lexsort path.
"""

from __future__ import annotations

import sys

import numpy as np

from etl.rasters import RasterReader

_LITTLE = sys.byteorder == "little"


class ValueCodec:
    """Codes of one band's raw values (``fast``: the band's type fits 32 bits), ascending with
    the decoded value whatever the sign of the band's scale."""

    def __init__(self, reader: RasterReader):
        self.reader = reader
        self.dtype = np.dtype(reader.dtype)
        self.flip = reader.scale < 0
        self.fast = self.dtype.itemsize <= 4 and self.dtype.kind in "fiu"

    def encode(self, raw: np.ndarray) -> np.ndarray:
        k = self.dtype.kind
        if k == "f":
            bits = raw.astype(np.float32, copy=False).view(np.uint32)
            code = np.where(bits >> 31 == 1, ~bits, bits | np.uint32(0x80000000))
        elif k == "i":
            code = (raw.astype(np.int64) + 2**31).astype(np.uint32)
        else:
            code = raw.astype(np.uint32)
        return ~code if self.flip else code

    def first_codes(self, breaks: np.ndarray) -> np.ndarray:
        """Per break, the smallest code whose value is >= the break (2**32 if none), as uint64.

        Codes ascend with the decoded value, so for every pixel ``value >= break`` exactly when
        ``code >= first_codes(break)``: found by bisection over the codes of the band's range
        (finite floats and infinities, or the integer type's range), where that order holds.
        """
        if self.dtype.kind == "f":
            ends = np.array([-np.inf, np.inf], dtype=self.dtype)
        else:
            info = np.iinfo(self.dtype)
            ends = np.array([info.min, info.max], dtype=self.dtype)
        lo, hi = sorted(int(c) for c in self.encode(ends))
        out = np.empty(breaks.size, dtype=np.uint64)
        for j, br in enumerate(breaks):
            a, b = lo, hi + 1  # the answer is in [a, b]; b = none in range
            while a < b:
                m = (a + b) // 2
                if self.decode(np.array([m], dtype=np.uint32))[0] >= br:
                    b = m
                else:
                    a = m + 1
            out[j] = a if a <= hi else 2**32
        return out

    def decode(self, code: np.ndarray) -> np.ndarray:
        code = code.astype(np.uint32)  # a copy: transformed in place below
        if self.flip:
            np.invert(code, out=code)
        k = self.dtype.kind
        if k == "f":  # bits = code ^ 0x80000000 where the top bit is set, else ~code
            mask = code >> np.uint32(31)
            mask -= np.uint32(1)
            mask |= np.uint32(0x80000000)
            code ^= mask
            raw = code.view(np.float32).astype(self.dtype, copy=False)
        elif k == "i":
            raw = (code.astype(np.int64) - 2**31).astype(self.dtype)
        else:
            raw = code.astype(self.dtype)
        return self.reader.decode(raw)


def pack_keys(kidx: np.ndarray, payload: np.ndarray) -> np.ndarray:
    """``(key << 32) | code`` as uint64 (keys and codes < 2**32), written as two uint32 halves."""
    if not _LITTLE:
        return (kidx.astype(np.uint64) << np.uint64(32)) | payload.astype(np.uint64)
    comp = np.empty(kidx.size, dtype=np.uint64)
    halves = comp.view(np.uint32).reshape(-1, 2)
    halves[:, 0] = payload
    halves[:, 1] = kidx
    return comp


def unpack_keys(comp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (key, code) halves of composed values, as uint32 arrays (views where possible)."""
    if not _LITTLE:
        return (comp >> np.uint64(32)).astype(np.uint32), comp.astype(np.uint32)
    halves = comp.view(np.uint32).reshape(-1, 2)
    return halves[:, 1], halves[:, 0]

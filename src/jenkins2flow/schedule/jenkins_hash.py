"""Jenkins' `Hash.from(seed)`: md5 of the job's full name folded to a long, fed to java.util.Random.

See ../shared/reference/jenkins.md (hudson/scheduler/Hash.java). `JavaRandom` reproduces java.util.Random exactly.
"""

from __future__ import annotations

import hashlib

_MULT = 0x5DEECE66D
_MASK = (1 << 48) - 1


class JavaRandom:
    """java.util.Random: a 48-bit linear congruential generator."""

    def __init__(self, seed: int) -> None:
        self.seed = (seed ^ _MULT) & _MASK

    def _next(self, bits: int) -> int:
        self.seed = (self.seed * _MULT + 0xB) & _MASK
        r = self.seed >> (48 - bits)
        if r >= 1 << 31:  # (int) cast: only a 32-bit draw can turn negative
            r -= 1 << 32
        return r

    def next_int(self, bound: int) -> int:
        if bound <= 0:
            raise ValueError(f"bound must be positive, not {bound}")
        r = self._next(31)
        m = bound - 1
        if bound & m == 0:
            return (bound * r) >> 31
        u = r
        while True:
            r = u % bound
            if u - r + m < (1 << 31):  # Java: reject while u - r + m overflows int
                return r
            u = self._next(31)


def seed_long(seed: str) -> int:
    """The signed 64-bit value Hash.from builds from md5(seed)."""
    d = bytearray(hashlib.md5(seed.encode("utf-8")).digest())
    for i in range(8, 16):
        d[i % 8] ^= d[i]
    value = int.from_bytes(d[:8], "big", signed=True)
    return value


class JenkinsHash:
    """`Hash.from(fullName)`: `next(n)` draws the next value in [0, n)."""

    def __init__(self, seed: str) -> None:
        self.random = JavaRandom(seed_long(seed))

    def next(self, n: int) -> int:
        return self.random.next_int(n)

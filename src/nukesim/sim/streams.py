"""Random numbers: one independent, named stream per purpose.

A replication's randomness comes from many streams, each seeded from ``(seed, replication,
name)`` alone — ``link:plant->authority:attempts``, ``handling:authority:h0``,
``members:nearby:officers``, … — so that changing one parameter (the number of vehicles, a failure
rate) leaves every unrelated draw (the hotline's delays) exactly as it was: common random numbers
across sweep points, and the same numbers on one worker or many. Every stream serves exactly one
sequence of draws of one distribution: two samplers sharing a stream would interleave their
batches and shift each other's numbers whenever one is used more (a fallback channel taken),
so ``Streams`` refuses to hand a name out twice. Every draw is one uniform number turned into a
duration by the distribution's inverse CDF, so the n-th draw of a stream is its n-th number.

A China replication draws from some 64 streams (of 80 it names) and most give one to eight
numbers, so what a stream costs to open is what matters. Its numbers are blocks of BLAKE2b,
keyed by the replication's key: block ``b`` of stream ``name`` is ``blake2b(name, key, salt=b)``,
eight 64-bit words, eight uniform numbers. The first block serves a stream's first eight draws —
one hash, no generator; a stream that goes on (routine background work) seeds a ``PCG64`` with
its second block and draws batches of growing size from it (16, 32, … 1024). Vectorised draws
(``rng``: the call-out's blocks of members, the vehicles) come from a ``PCG64`` seeded with the
stream's first block. docs/engine.md ("Random numbers") gives the layout of every stream.
"""

from __future__ import annotations

from collections.abc import Callable
from hashlib import blake2b
from struct import Struct

import numpy as np
from numpy.random import PCG64, Generator, SeedSequence
from numpy.random.bit_generator import ISeedSequence

from ..scenario.distributions import Fixed

_FIRST_BATCH = 16
"""The first batch drawn from a stream's generator, after the eight numbers of its first block."""
_MAX_BATCH = 1024
_WORDS = Struct("<8Q").unpack
_UNIT = 2.0**-53
_SALTS = (bytes(16), (1).to_bytes(16, "little"))


def replication_key(seed: int, replication: int) -> bytes:
    """The 32-byte key of one replication: numpy's ``SeedSequence`` mixes seed and replication."""
    return SeedSequence(entropy=seed, spawn_key=(replication,)).generate_state(8, np.uint32).tobytes()


def block(key: bytes, name: str, b: int = 0) -> bytes:
    """Block ``b`` of stream ``name``: 64 bytes of BLAKE2b keyed by the replication's key."""
    salt = _SALTS[b] if b < 2 else b.to_bytes(16, "little")
    return blake2b(name.encode("utf-8"), key=key, salt=salt, digest_size=64).digest()


def uniforms(digest: bytes) -> list[float]:
    """The eight uniform numbers of a block, in (0, 1), in order: each 64-bit word's top 53 bits,
    centred in their interval (``unit``), so that no number is 0 or 1 and an inverse CDF is finite
    at every one of them."""
    return [unit(w) for w in _WORDS(digest)]


def unit(word: int) -> float:
    """The uniform number in (0, 1) of a 64-bit word."""
    return ((word >> 11) + 0.5) * _UNIT


class _StreamSeed(ISeedSequence):
    """The seed words of a ``PCG64``: the words of one block of a stream."""

    __slots__ = ("_digest",)

    def __init__(self, digest: bytes) -> None:
        self._digest = digest

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        dtype = np.dtype(dtype)
        if n_words * dtype.itemsize > len(self._digest):
            raise ValueError(f"a stream seed has {len(self._digest)} bytes, {n_words} words asked for")
        return np.frombuffer(self._digest, dtype=dtype, count=n_words).copy()


def generator(digest: bytes) -> Generator:
    """A ``PCG64`` generator seeded with the words of a block."""
    return Generator(PCG64(_StreamSeed(digest)))


def stream(seed: int, replication: int, name: str) -> Generator:
    """The generator of stream ``name`` (as ``Streams.rng`` gives it) in replication ``replication``."""
    return generator(block(replication_key(seed, replication), name))


class Streams:
    """The named streams of one replication, each opened when first drawn from."""

    __slots__ = ("seed", "replication", "_key", "_taken")

    def __init__(self, seed: int, replication: int) -> None:
        if seed < 0 or replication < 0:
            raise ValueError("seed and replication must be non-negative integers")
        self.seed = seed
        self.replication = replication
        self._key = replication_key(seed, replication)
        self._taken: set[str] = set()

    def _claim(self, name: str) -> None:
        if name in self._taken:
            raise ValueError(f"random stream {name!r} is already in use: give each draw sequence its own")
        self._taken.add(name)

    def rng(self, name: str) -> Generator:
        """The generator of stream ``name``, for vectorised draws; each name may be taken by one user only."""
        self._claim(name)
        return generator(block(self._key, name))

    def sampler(self, name: str, dist) -> Callable[[], float]:
        """A function returning the next draw of ``dist`` from stream ``name``.

        ``dist`` is a scenario distribution, or ``None`` for uniform numbers in (0, 1).
        """
        self._claim(name)
        if isinstance(dist, Fixed):
            return _Constant(dist.value)
        return _Draws(self._key, name, dist)


class _Constant:
    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self) -> float:
        return self.value


class _Draws:
    """Draws of one distribution from one stream: its first block's eight numbers, one at a time,
    then batches from a generator seeded with its second block (stacks, last first). Nothing is
    worked out before the first draw: a replication opens samplers it never draws from (the
    fallback channels of links that never fail)."""

    __slots__ = ("_key", "_name", "_dist", "_ppf", "_first", "_stack", "_rng", "_size")

    def __init__(self, key: bytes, name: str, dist) -> None:
        self._key = key
        self._name = name
        self._dist = dist
        self._first: list[int] | None = None
        self._stack: list[float] = []

    def __call__(self) -> float:
        first = self._first
        if first:  # words of the first block, last first
            return self._ppf(((first.pop() >> 11) + 0.5) * _UNIT)  # unit(), inlined
        stack = self._stack
        if stack:
            return stack.pop()
        if first is None:  # the first draw: open the stream
            dist = self._dist
            self._ppf = ppf = _same if dist is None else dist.scalar_ppf()
            self._first = first = list(_WORDS(block(self._key, self._name)))
            first.reverse()
            self._rng, self._size = None, _FIRST_BATCH
            return ppf(unit(first.pop()))
        if self._rng is None:
            self._rng = generator(block(self._key, self._name, 1))
        u = self._rng.random(self._size)
        batch = u if self._dist is None else self._dist.ppf(u)
        stack.extend(batch[::-1].tolist())
        self._size = min(2 * self._size, _MAX_BATCH)
        return stack.pop()


def _same(u: float) -> float:
    return u

"""Random numbers: one independent, named stream per purpose.

A replication's randomness comes from many streams, each seeded from ``(seed, replication,
name)`` alone — ``link:plant->authority:attempts``, ``handling:authority:h0``,
``members:nearby:travel``, … — so that changing one parameter (the number of vehicles, a failure
rate) leaves every unrelated draw (the hotline's delays) exactly as it was: common random numbers
across sweep points, and the same numbers on one worker or many. Every stream serves exactly one
sequence of draws of one distribution: two samplers sharing a stream would interleave their
batches and shift each other's numbers whenever one is used more (a fallback channel taken, a
rejection sampler needing one more draw), so ``Streams`` refuses to hand a name out twice.
A stream's generator is made only when first used, and numbers are drawn in
small batches that grow as a stream is used, which keeps numpy's per-call cost out of the loop;
the batch schedule is fixed, so a draw depends only on (seed, replication, stream) and the order
in which the model asks.
"""

from __future__ import annotations

from collections.abc import Callable
from hashlib import blake2b

import numpy as np
from numpy.random import PCG64, Generator, SeedSequence
from numpy.random.bit_generator import ISeedSequence

from ..scenario.distributions import Fixed

_FIRST_BATCH = 8
_MAX_BATCH = 1024


def replication_key(seed: int, replication: int) -> bytes:
    """The 32-byte key of one replication: numpy's ``SeedSequence`` mixes seed and replication."""
    return SeedSequence(entropy=seed, spawn_key=(replication,)).generate_state(8, np.uint32).tobytes()


class _StreamSeed(ISeedSequence):
    """The seed words of one named stream: BLAKE2b of its name, keyed by the replication's key.

    A named stream costs a hash and a ``PCG64`` (about 1.5 µs) instead of a ``SeedSequence`` of its
    own (about 8.5 µs): a replication of the China scenario uses some 100 streams.
    """

    __slots__ = ("_words",)

    def __init__(self, key: bytes, name: str) -> None:
        digest = blake2b(name.encode("utf-8"), key=key, digest_size=64).digest()
        self._words = np.frombuffer(digest, dtype=np.uint64)

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        words = self._words.view(np.uint32) if np.dtype(dtype) == np.uint32 else self._words
        if n_words > len(words):
            raise ValueError(f"a stream seed has {len(words)} words, {n_words} asked for")
        return words[:n_words].copy()


def stream(seed: int, replication: int, name: str) -> Generator:
    """The generator of stream ``name`` in replication ``replication`` of a run seeded ``seed``."""
    return Generator(PCG64(_StreamSeed(replication_key(seed, replication), name)))


class Streams:
    """The named streams of one replication, made on first use."""

    __slots__ = ("seed", "replication", "_key", "_generators", "_taken")

    def __init__(self, seed: int, replication: int) -> None:
        if seed < 0 or replication < 0:
            raise ValueError("seed and replication must be non-negative integers")
        self.seed = seed
        self.replication = replication
        self._key = replication_key(seed, replication)
        self._generators: dict[str, Generator] = {}
        self._taken: set[str] = set()

    def rng(self, name: str) -> Generator:
        """The generator of stream ``name``; each name may be taken by one user only."""
        if name in self._taken:
            raise ValueError(f"random stream {name!r} is already in use: give each draw sequence its own")
        self._taken.add(name)
        return self._get(name)

    def _get(self, name: str) -> Generator:
        gen = self._generators.get(name)
        if gen is None:
            gen = self._generators[name] = Generator(PCG64(_StreamSeed(self._key, name)))
        return gen

    def sampler(self, name: str, dist) -> Callable[[], float]:
        """A function returning the next draw of ``dist`` from stream ``name``.

        ``dist`` is a scenario distribution, or ``None`` for uniform numbers on [0, 1).
        """
        if name in self._taken:
            raise ValueError(f"random stream {name!r} is already in use: give each draw sequence its own")
        self._taken.add(name)
        if isinstance(dist, Fixed):
            return _Constant(dist.value)
        return _Batched(self, name, dist)


class _Constant:
    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self) -> float:
        return self.value


class _Batched:
    """Draws of one distribution from one stream, fetched a batch at a time (a stack, reversed)."""

    __slots__ = ("_streams", "_name", "_dist", "_stack", "_size")

    def __init__(self, streams: Streams, name: str, dist) -> None:
        self._streams = streams
        self._name = name
        self._dist = dist
        self._stack: list[float] = []
        self._size = _FIRST_BATCH

    def __call__(self) -> float:
        stack = self._stack
        if not stack:
            rng = self._streams._get(self._name)
            batch = rng.random(self._size) if self._dist is None else self._dist.sample(rng, self._size)
            stack.extend(batch[::-1].tolist())
            self._size = min(2 * self._size, _MAX_BATCH)
        return stack.pop()
